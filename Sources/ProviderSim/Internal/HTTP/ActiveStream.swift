/// One stream in flight on a connection: a class, so each wake-up advances its schedule in place.
final class ActiveStream {
    /// The bytes of a stream: the OpenAI fast path's, or a rendered script (the other dialects, OpenAI options).
    enum Frames {
        case chat(ChatStreamFrames)
        case scripted(ScriptedFrames)
    }

    var schedule: StreamSchedule
    let frames: Frames

    init(schedule: StreamSchedule, frames: Frames) {
        self.schedule = schedule
        self.frames = frames
    }
}
