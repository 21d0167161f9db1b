import PostgresTestServer

extension PostgresTestServer {
    /// The `log:` section of a router writing to `database` on this server, with `path` as its spool; the password
    /// comes from `${EDGE_TEST_PG_PASSWORD}` (pass ``environment``).
    func logYAML(database: String, spool path: String, extra: String = "") -> String {
        """

        log:
          path: "\(path)"
          sink: postgres
          batch_ms: 10
        \(extra)
          postgres:
            host: 127.0.0.1
            port: \(port)
            database: \(database)
            user: \(user)
            password: "${EDGE_TEST_PG_PASSWORD}"
            timeout_ms: 1000
        """
    }

    var environment: [String: String] { ["EDGE_TEST_PG_PASSWORD": password] }
}
