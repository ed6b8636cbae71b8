import CPAM
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Authenticates through libpam (`pam_authenticate` then `pam_acct_mgmt`) with a configurable service name.
///
/// PAM calls block (pam_unix sleeps about 2 s after a wrong password), so they run on a dedicated dispatch queue,
/// never on the Swift concurrency pool. Authenticating users other than the caller needs root (pam_unix's
/// helper only checks the caller's own password otherwise).
public struct PAMAuthenticator: Authenticator {
    public let service: String
    private static let queue = DispatchQueue(label: "pegasus-em.pam", attributes: .concurrent)

    public init(service: String) { self.service = service }

    public func authenticate(username: String, password: String) async -> Bool {
        let service = self.service
        return await withCheckedContinuation { continuation in
            Self.queue.async {
                continuation.resume(returning: Self.check(service: service, username: username, password: password))
            }
        }
    }

    /// The synchronous PAM conversation.
    static func check(service: String, username: String, password: String) -> Bool {
        guard !username.isEmpty, let secret = strdup(password) else { return false }
        defer {
            memset(secret, 0, strlen(secret))
            free(secret)
        }
        var conversation = pam_conv(conv: pamConversation, appdata_ptr: UnsafeMutableRawPointer(secret))
        var handle: OpaquePointer?
        guard pam_start(service, username, &conversation, &handle) == PAM_SUCCESS, let handle else { return false }
        var status = pam_authenticate(handle, 0)
        if status == PAM_SUCCESS {
            status = pam_acct_mgmt(handle, 0)
        }
        pam_end(handle, status)
        return status == PAM_SUCCESS
    }
}

/// Answers every prompt with the password passed as `appdata_ptr`. PAM frees the replies, so they are
/// allocated with calloc/strdup.
private let pamConversation:
    @convention(c) (
        Int32, UnsafeMutablePointer<UnsafePointer<pam_message>?>?,
        UnsafeMutablePointer<UnsafeMutablePointer<pam_response>?>?, UnsafeMutableRawPointer?
    ) -> Int32 = { count, messages, responses, appdata in
        guard count > 0, let messages, let responses, let appdata,
            let replies = calloc(Int(count), MemoryLayout<pam_response>.stride)?.assumingMemoryBound(
                to: pam_response.self)
        else { return PAM_CONV_ERR }
        let password = appdata.assumingMemoryBound(to: CChar.self)
        for i in 0..<Int(count) {
            guard let message = messages[i] else { continue }
            let style = message.pointee.msg_style
            if style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON {
                replies[i].resp = strdup(password)
            }
        }
        responses.pointee = replies
        return PAM_SUCCESS
    }
