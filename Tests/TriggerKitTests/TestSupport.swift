import Foundation

/// Parses an ISO 8601 instant such as `2024-03-31T01:00:00Z`.
func instant(_ text: String) -> Date {
    try! Date(text, strategy: .iso8601)
}

/// Formats an instant as ISO 8601 in UTC, e.g. `2024-03-31T01:00:00Z`.
func iso(_ date: Date) -> String {
    date.formatted(.iso8601)
}

/// Formats instants as ISO 8601 in UTC.
func iso(_ dates: [Date]) -> [String] {
    dates.map(iso)
}
