import Testing

@testable import NovitaMock

@Suite("S3Credentials")
struct S3CredentialsTests {
    @Test func readsTheStandardVariables() {
        let environment = ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"]
        #expect(
            S3Credentials.fromEnvironment(environment)
                == S3Credentials(accessKeyID: "id", secretAccessKey: "secret", sessionToken: "token"))
    }

    @Test func sessionTokenIsOptional() {
        let environment = ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": ""]
        #expect(S3Credentials.fromEnvironment(environment)?.sessionToken == nil)
    }

    @Test(arguments: [
        [:], ["AWS_ACCESS_KEY_ID": "id"], ["AWS_SECRET_ACCESS_KEY": "secret"],
        ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "secret"],
    ])
    func bothKeysAreRequired(environment: [String: String]) {
        #expect(S3Credentials.fromEnvironment(environment) == nil)
    }
}
