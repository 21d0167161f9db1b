/// A parsed JSON value, as much of JSON as `x-edge-route` needs to read (and to reject precisely).
public enum JSONValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in document order, duplicates kept (the reader of an object decides what a duplicate means).
    case object([(key: String, value: JSONValue)])
}
