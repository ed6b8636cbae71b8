import Foundation
import Synchronization

/// Limits failed logins per user name and per client address: after `userLimit` failures for a name (or
/// `addressLimit` from one address) inside `window` seconds, further attempts are refused without asking PAM
/// until the window has passed. Names that do not exist are counted like real ones, so the answers never tell
/// them apart. The address limit is higher because a reverse proxy makes every user come from one address.
public final class LoginThrottle: Sendable {
    public let userLimit: Int
    public let addressLimit: Int
    public let window: Double
    private let failures = Mutex<[String: [Double]]>([:])

    public init(userLimit: Int = 5, addressLimit: Int = 30, window: Double = 300) {
        self.userLimit = userLimit
        self.addressLimit = addressLimit
        self.window = window
    }

    /// Seconds until `user` from `address` may try again, or nil when an attempt is allowed now.
    public func retryAfter(user: String, address: String?, now: Double = Date().timeIntervalSince1970) -> Double? {
        failures.withLock { wait(&$0, user: user, address: address, now: now) }
    }

    /// The wait for `user` from `address` (nil: none), dropping failures that left the window.
    private func wait(_ table: inout [String: [Double]], user: String, address: String?, now: Double) -> Double? {
        var wait: Double?
        for key in Self.keys(user: user, address: address) {
            let recent = (table[key] ?? []).filter { $0 > now - window }
            table[key] = recent.isEmpty ? nil : recent
            let limit = key.hasPrefix("user:") ? userLimit : addressLimit
            if recent.count >= limit, let oldest = recent.first {
                wait = max(wait ?? 0, oldest + window - now)
            }
        }
        return wait
    }

    /// Starts an attempt: nil when it may go ahead, which then counts as a failure until ``succeeded(user:address:at:)``
    /// says otherwise; else the seconds to wait. Checking and counting happen at once, so parallel requests cannot
    /// all slip past the check while PAM takes its time over the first wrong password.
    public func attempt(user: String, address: String?, now: Double = Date().timeIntervalSince1970) -> Double? {
        failures.withLock { table in
            if let wait = wait(&table, user: user, address: address, now: now) { return wait }
            record(&table, user: user, address: address, now: now)
            return nil
        }
    }

    /// An attempt started at `at` succeeded: the user's failures are forgotten and the address's reservation is
    /// taken back.
    public func succeeded(user: String, address: String?, at: Double) {
        failures.withLock { table in
            table.removeValue(forKey: "user:" + user)
            if let address, var list = table["addr:" + address], let index = list.lastIndex(of: at) {
                list.remove(at: index)
                table["addr:" + address] = list.isEmpty ? nil : list
            }
        }
    }

    /// Records one failed attempt.
    public func recordFailure(user: String, address: String?, now: Double = Date().timeIntervalSince1970) {
        failures.withLock { record(&$0, user: user, address: address, now: now) }
    }

    private func record(_ table: inout [String: [Double]], user: String, address: String?, now: Double) {
        if table.count > 10_000 { table = table.filter { ($0.value.last ?? 0) > now - window } }
        for key in Self.keys(user: user, address: address) { table[key, default: []].append(now) }
    }

    /// Forgets the failures of a user after a successful login (the address keeps its record).
    public func recordSuccess(user: String) {
        _ = failures.withLock { $0.removeValue(forKey: "user:" + user) }
    }

    private static func keys(user: String, address: String?) -> [String] {
        ["user:" + user] + (address.map { ["addr:" + $0] } ?? [])
    }
}
