import Hummingbird
import NIOCore

/// `POST /admin/reload` (admin keys): reloads the configuration file, as SIGHUP does. A valid file answers 200
/// with the ``ReloadReport`` (new checksum, deployments added, removed and kept, settings that need a restart);
/// an invalid one answers 422 with the errors `edge-router check` gives for it, and changes nothing.
struct ReloadRoute: Sendable {
    let server: EdgeRouterServer

    func handle(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        switch await server.reload(trigger: "admin") {
        case .success(let report):
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: report.json)))
        case .failure(var error):
            // The file, not the router, is at fault: the 500 of a failed start would say otherwise.
            if error.code == .invalidConfiguration { error.status = 422 }
            throw error
        }
    }
}
