import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two keys `prodvisual serve` prints when it creates the first account of a data directory.
struct FirstStartKeys: Sendable {
    let live: String
    let test: String
}

/// How a server process ended.
struct ProcessExit: Sendable, CustomStringConvertible {
    /// True for a normal exit, false when a signal ended the process.
    let exited: Bool
    /// The exit status, or the signal number.
    let code: Int32

    var description: String { exited ? "exit status \(code)" : "killed by signal \(code)" }
}

struct ServerProcessError: Error, CustomStringConvertible {
    let description: String
}

/// The real `prodvisual` executable, serving a fresh data directory on a free loopback port.
/// (The harness of ProcessTests, without its HTTP client: these tests use the SDK.)
///
/// It is what a customer runs: the tests reach it over HTTP only. Standard output and standard
/// error go to `stdout.log` and `stderr.log` in the data directory, appended across restarts,
/// so a failure can show what the server said.
final class ServerProcess: Sendable {
    let executable: URL
    let dataDirectory: URL
    let port: Int
    /// The variables the test asked for, on top of the harness's defaults.
    let environment: [String: String]
    /// `all`, `api` (HTTP only) or `worker` (no HTTP: queued jobs and webhooks).
    let role: String
    /// Whether this server starts on an empty store and prints the first account's keys.
    let printsKeys: Bool
    let baseURL: String

    private struct State {
        var pid: pid_t?
        var exit: ProcessExit?
        var keys: FirstStartKeys?
        var starts = 0
    }

    private let state = Mutex(State())

    var stdoutLog: URL { dataDirectory.appendingPathComponent("stdout.log") }
    var stderrLog: URL { dataDirectory.appendingPathComponent("stderr.log") }

    /// The keys captured on the first start; a restart prints none and reuses these.
    var keys: FirstStartKeys {
        get throws {
            guard let keys = state.withLock({ $0.keys }) else { throw ServerProcessError(description: "the server has not printed its keys") }
            return keys
        }
    }

    var isRunning: Bool { pid != nil }

    /// The pid of the running process, if any.
    var pid: pid_t? {
        reap()
        return state.withLock { state in state.exit == nil ? state.pid : nil }
    }

    /// How the last process ended, once it has.
    var lastExit: ProcessExit? {
        reap()
        return state.withLock { $0.exit }
    }

    /// Starts the server on a new data directory and a free port, and waits until it is healthy
    /// (a worker, which answers no HTTP, until it has run for a moment). A node of several on a
    /// shared database (its URL in `environment`) prints no keys: `printsKeys: false`.
    static func start(
        environment: [String: String] = [:], role: String = "all", printsKeys: Bool = true, scheme: String = "http"
    ) async throws -> ServerProcess {
        let executable = try Self.locateExecutable()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = ServerProcess(
            executable: executable, dataDirectory: directory, port: try freeLoopbackPort(), environment: environment, role: role,
            printsKeys: printsKeys, scheme: scheme)
        try await server.launch()
        return server
    }

    private init(
        executable: URL, dataDirectory: URL, port: Int, environment: [String: String], role: String, printsKeys: Bool, scheme: String
    ) {
        self.executable = executable
        self.dataDirectory = dataDirectory
        self.port = port
        self.environment = environment
        self.role = role
        self.printsKeys = printsKeys
        baseURL = "\(scheme)://127.0.0.1:\(port)"
    }

    deinit {
        // A safety net only: tests end the process themselves.
        if let pid {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }

    // MARK: Lifecycle

    /// Starts the process again on the same data directory, port and environment. The keys
    /// stay those captured on the first start.
    func restart() async throws {
        guard !isRunning else { throw ServerProcessError(description: "restart() while the server is still running") }
        try await launch()
    }

    /// SIGTERM, then waits for the process to exit (up to `timeout`; after that it is killed
    /// and an error thrown).
    @discardableResult
    func terminate(timeout: Duration = .seconds(60)) async throws -> ProcessExit {
        guard let pid else { throw ServerProcessError(description: "terminate() without a running server") }
        kill(pid, SIGTERM)
        if let exit = await waitForExit(timeout: timeout) { return exit }
        kill(pid, SIGKILL)
        _ = await waitForExit(timeout: .seconds(10))
        throw ServerProcessError(description: "the server did not exit within \(timeout) of SIGTERM; killed it\n\(diagnostics)")
    }

    /// SIGKILL, then waits for the process to be gone.
    @discardableResult
    func kill9() async throws -> ProcessExit {
        guard let pid else { throw ServerProcessError(description: "kill9() without a running server") }
        kill(pid, SIGKILL)
        guard let exit = await waitForExit(timeout: .seconds(30)) else {
            throw ServerProcessError(description: "the server outlived SIGKILL by 30 s")
        }
        return exit
    }

    /// Kills the process if it still runs; for the end of a test, whatever happened in it.
    func stop() async {
        guard let pid else { return }
        kill(pid, SIGKILL)
        _ = await waitForExit(timeout: .seconds(30))
    }

    /// Removes the data directory, unless PRODVISUAL_KEEP_TEST_DATA is set.
    func removeData() {
        guard ProcessInfo.processInfo.environment["PRODVISUAL_KEEP_TEST_DATA"] == nil else { return }
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    private func waitForExit(timeout: Duration) async -> ProcessExit? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let exit = lastExit { return exit }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return lastExit
    }

    private func launch() async throws {
        let starts = state.withLock { $0.starts }
        try Self.appendBanner("--- start \(starts + 1) ---", to: stdoutLog)
        try Self.appendBanner("--- start \(starts + 1) ---", to: stderrLog)
        let pid = try Self.spawn(
            executable.path,
            arguments: [
                "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDirectory.path, "--allow-private-sources",
                "--role", role,
            ],
            environment: serverEnvironment(), stdout: stdoutLog.path, stderr: stderrLog.path)
        state.withLock {
            $0.pid = pid
            $0.exit = nil
            $0.starts += 1
        }

        guard role != "worker" else { return try await waitUntilSettled() }
        try await waitUntilHealthy()
        if printsKeys, state.withLock({ $0.keys }) == nil {
            let keys = try readKeys()
            state.withLock { $0.keys = keys }
        }
    }

    /// Collects the exit status once the process has ended (without blocking).
    private func reap() {
        state.withLock { state in
            guard state.exit == nil, let pid = state.pid else { return }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return }
            let signal = status & 0x7f
            state.exit = signal == 0 ? ProcessExit(exited: true, code: (status >> 8) & 0xff) : ProcessExit(exited: false, code: signal)
        }
    }

    /// Starts the executable as a service manager would: with no signal blocked or ignored
    /// (Foundation's Process passes on the spawning thread's mask, which blocks SIGTERM), no
    /// descriptor of the test process but standard input (/dev/null), output and error (the
    /// log files, appended to).
    private static func spawn(
        _ path: String, arguments: [String], environment: [String: String], stdout: String, stderr: String
    ) throws -> pid_t {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        #if canImport(Glibc)
        // glibc 2.34+; behind _GNU_SOURCE in the header, so looked up. Without it the child
        // still gets only the descriptors the test process did not mark close-on-exec.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        #endif
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv + [nil], envp + [nil])
        guard result == 0 else {
            throw ServerProcessError(description: "could not start \(path): \(String(cString: strerror(result)))")
        }
        return pid
    }

    private func waitUntilHealthy() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var last = "no answer yet"
        while ContinuousClock.now < deadline {
            if let exit = lastExit {
                throw ServerProcessError(description: "the server exited while starting (\(exit))\n\(diagnostics)")
            }
            do {
                // A test certificate is self-signed: the health check does not verify it.
                let response = try await (baseURL.hasPrefix("https") ? Self.unverifiedClient : HTTPClient.shared)
                    .execute(HTTPClientRequest(url: baseURL + "/health"), timeout: .seconds(2))
                _ = try await response.body.collect(upTo: 1 << 20)
                if response.status.code == 200 { return }
                last = "GET /health answered \(response.status)"
            } catch {
                last = "GET /health: \(error)"
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        await stop()
        throw ServerProcessError(description: "the server was not healthy within 60 s (\(last))\n\(diagnostics)")
    }

    /// A worker has no port to ask: it is up once it has opened its storage and kept running.
    private func waitUntilSettled() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let exit = lastExit {
                throw ServerProcessError(description: "the worker exited while starting (\(exit))\n\(diagnostics)")
            }
            let said = ((try? String(contentsOf: stdoutLog, encoding: .utf8)) ?? "") + ((try? String(contentsOf: stderrLog, encoding: .utf8)) ?? "")
            if said.contains("models: ") {
                try await Task.sleep(for: .milliseconds(300))
                if lastExit == nil { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await stop()
        throw ServerProcessError(description: "the worker did not settle within 60 s\n\(diagnostics)")
    }

    private static let unverifiedClient: HTTPClient = {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }()

    /// Reads the keys from the first-start lines:
    /// `Live key (spends credits):       pv_live_...` and `Test key (free, watermarked):    pv_test_...`.
    private func readKeys() throws -> FirstStartKeys {
        let output = (try? String(contentsOf: stdoutLog, encoding: .utf8)) ?? ""
        func key(after label: String, prefix: String) -> String? {
            for line in output.split(separator: "\n") where line.contains(label) {
                if let token = line.split(separator: " ").last, token.hasPrefix(prefix) { return String(token) }
            }
            return nil
        }
        guard let live = key(after: "Live key (spends credits):", prefix: "pv_live_"),
              let test = key(after: "Test key (free, watermarked):", prefix: "pv_test_")
        else {
            throw ServerProcessError(description: "the server printed no first-start keys; stdout was:\n\(output)\n\(diagnostics)")
        }
        return FirstStartKeys(live: live, test: test)
    }

    /// How many times a live key was printed, over every start of this data directory.
    var printedLiveKeyLines: Int {
        let output = (try? String(contentsOf: stdoutLog, encoding: .utf8)) ?? ""
        return output.split(separator: "\n").filter { $0.contains("Live key (spends credits):") }.count
    }

    /// The inherited environment without any PRODVISUAL_* setting (the test states its own),
    /// rate limits too high to be hit by polling, then the test's variables.
    private func serverEnvironment() -> [String: String] {
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PRODVISUAL_") }
        variables["PRODVISUAL_RATE_LIMIT_PER_MINUTE"] = "1000000"
        variables["PRODVISUAL_RATE_LIMIT_PER_DAY"] = "100000000"
        variables.merge(environment) { _, test in test }
        return variables
    }

    /// A live key on a new account with `credits`, made by `prodvisual keys create` (the key
    /// is the last line it prints).
    func createKey(credits: Int) async throws -> String {
        let output = dataDirectory.appendingPathComponent("keys-create-\(UUID().uuidString).log")
        let pid = try Self.spawn(
            executable.path, arguments: ["keys", "create", "--data-dir", dataDirectory.path, "--credits", String(credits)],
            environment: serverEnvironment(), stdout: output.path, stderr: output.path)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard status == 0, let key = text.split(separator: "\n").last.map(String.init), key.hasPrefix("pv_live_") else {
            throw ServerProcessError(description: "prodvisual keys create failed (status \(status)): \(text)")
        }
        return key
    }

    /// Where the server stores rendered files.
    var outputsDirectory: URL { dataDirectory.appendingPathComponent("outputs") }

    // MARK: Diagnostics

    /// The end of the server's standard error, for failure messages.
    var diagnostics: String {
        "server \(baseURL), data in \(dataDirectory.path); last lines of stderr:\n\(stderrTail())"
    }

    func stderrTail(lines: Int = 40) -> String {
        guard let text = try? String(contentsOf: stderrLog, encoding: .utf8) else { return "(no stderr log)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    private static func appendBanner(_ banner: String, to url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\(banner)\n".utf8))
    }

    // MARK: Locating the executable

    /// `prodvisual` sits beside the test binary: `swift build` and `swift test` put both in
    /// `.build/<triple>/debug` (or release). PRODVISUAL_EXECUTABLE overrides.
    static func locateExecutable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["PRODVISUAL_EXECUTABLE"] {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ServerProcessError(description: "PRODVISUAL_EXECUTABLE=\(path) is not an executable file")
            }
            return URL(fileURLWithPath: path)
        }
        let testBinary = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        // On Linux the test binary is `<dir>/prodvisualPackageTests.xctest`; on macOS it is
        // inside the bundle `<dir>/prodvisualPackageTests.xctest/Contents/MacOS/`.
        var directory = testBinary.deletingLastPathComponent()
        var searched: [String] = []
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("prodvisual")
            searched.append(candidate.path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        throw ServerProcessError(description: """
            The prodvisual executable is not beside the test binary \(testBinary.path) (looked for \(searched.joined(separator: ", "))). \
            Build it first with `swift build` (or run `swift test`, which builds every product), or set PRODVISUAL_EXECUTABLE.
            """)
    }
}

/// A port nobody listens on: bind 127.0.0.1:0, read the port the kernel chose, close.
func freeLoopbackPort() throws -> Int {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw ServerProcessError(description: "socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw ServerProcessError(description: "bind() failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw ServerProcessError(description: "getsockname() failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Runs `body` against a fresh server process, and kills the process at the end whatever
/// happened; the data directory is removed after a run that threw nothing.
func withServerProcess<T>(
    environment: [String: String] = [:], scheme: String = "http",
    _ body: (ServerProcess) async throws -> T
) async throws -> T {
    let server = try await ServerProcess.start(environment: environment, scheme: scheme)
    do {
        let result = try await body(server)
        await server.stop()
        server.removeData()
        return result
    } catch {
        await server.stop()
        // The data directory stays for a look; say where it is and what the server said last.
        // (The error itself goes on unchanged, so the test library reports it as it is.)
        FileHandle.standardError.write(Data("Test failed with \(error)\n\(server.diagnostics)\n".utf8))
        throw error
    }
}
