import GRDB

/// A SQLite log used as the PostgreSQL sink's spool: read oldest first and emptied as PostgreSQL takes the rows.
///
/// Order is SQLite's rowid: a new row gets one more than the largest in the table, and only the drainer deletes,
/// always a prefix of what it read, so rows spooled while a drain is under way always sort after it.
extension SQLiteRequestStore {
    /// The oldest `limit` spooled records and the rowid of the last one; nil when the spool is empty.
    func oldest(limit: Int) async throws(RequestLogError) -> (records: [RequestRecord], throughRowID: Int64)? {
        let text =
            "SELECT rowid AS spool_rowid, \(RequestLogSchema.columns.joined(separator: ", ")) FROM requests "
            + "ORDER BY rowid LIMIT \(max(1, limit))"
        return try await readSpool { db -> (records: [RequestRecord], throughRowID: Int64)? in
            let rows = try Row.fetchAll(db, sql: text)
            guard let last = rows.last, let through: Int64 = last["spool_rowid"] else { return nil }
            return (rows.map(RequestRecord.init(row:)), through)
        }
    }

    /// Deletes the spooled records up to and including `rowID` (what PostgreSQL has committed); returns how many.
    func deleteSpooled(throughRowID rowID: Int64) async throws(RequestLogError) -> Int {
        try await writeSpool { db in
            try db.execute(sql: "DELETE FROM requests WHERE rowid <= ?", arguments: [rowID])
            return db.changesCount
        }
    }
}
