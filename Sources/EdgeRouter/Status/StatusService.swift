import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// The status page's background work: a sample of every deployment into its history each sample interval, and,
/// while someone watches a live page, one snapshot for all of them each event interval (made once, however many
/// pages are open).
final class StatusService: Service, Sendable {
    let board: StatusBoard
    let feed: StatusFeed
    private let logger: Logger

    init(board: StatusBoard, logger: Logger) {
        self.board = board
        self.feed = StatusFeed(limit: board.settings.maxEventStreams)
        self.logger = logger
    }

    func run() async throws {
        let settings = board.settings
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The first sample at once, so that a chart has a start before the first interval has passed.
                while !Task.isCancelled {
                    self.board.sample()
                    do { try await Task.sleep(for: settings.sampleInterval) } catch { return }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: settings.eventInterval) } catch { return }
                    if self.feed.subscriberCount > 0, let event = self.event() { self.feed.publish(event) }
                }
            }
        }
        feed.close()
    }

    /// The current snapshot as one server-sent event, or nil (logged) when it cannot be encoded.
    func event() -> ByteBuffer? {
        do {
            var buffer = ByteBuffer(string: "data: ")
            buffer.writeBytes(try Self.encoder().encode(board.snapshot()))
            buffer.writeString("\n\n")
            return buffer
        } catch {
            logger.error("status snapshot not encoded", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Snake-case keys; sorted so that the same state gives the same bytes; no line breaks (an SSE `data:` line
    /// cannot hold one). One per event: an encoder is cheap next to the snapshot, and is then never shared.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
