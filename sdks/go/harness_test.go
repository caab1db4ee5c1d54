package prodvisual_test

// The test harness: the real `prodvisual serve` on loopback, the bench photos served over
// loopback HTTP, and a webhook receiver. Nothing here imitates the server.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prodvisual/prodvisual-go"
)

// repoRoot is the repository's root: this package is sdks/go.
var repoRoot = mustAbs(filepath.Join("..", ".."))

func mustAbs(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		panic(err)
	}
	return abs
}

func packshotsDir() string {
	bench := os.Getenv("PRODVISUAL_BENCH_DIR")
	if bench == "" {
		bench = filepath.Join(repoRoot, "..", "shared", "bench")
	}
	return filepath.Join(bench, "packshots")
}

// locateExecutable is PRODVISUAL_EXECUTABLE, else .build/debug or .build/release under the repository.
func locateExecutable() (string, error) {
	if explicit := os.Getenv("PRODVISUAL_EXECUTABLE"); explicit != "" {
		if info, err := os.Stat(explicit); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return "", fmt.Errorf("PRODVISUAL_EXECUTABLE=%s is not an executable file", explicit)
		}
		return explicit, nil
	}
	for _, configuration := range []string{"debug", "release"} {
		path := filepath.Join(repoRoot, ".build", configuration, "prodvisual")
		if info, err := os.Stat(path); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", fmt.Errorf("no prodvisual executable under %s/.build/{debug,release}: run `swift build --product prodvisual` or set PRODVISUAL_EXECUTABLE", repoRoot)
}

func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

// serverProcess is `prodvisual serve` on a fresh data directory and a free loopback port.
type serverProcess struct {
	executable string
	dataDir    string
	port       int
	baseURL    string
	liveKey    string
	testKey    string
	cmd        *exec.Cmd
	exited     chan struct{}
	stdout     *os.File
	stderr     *os.File
	stopOnce   sync.Once
}

func startServer(rateLimitPerMinute int) (*serverProcess, error) {
	executable, err := locateExecutable()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "pv-sdk-go-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &serverProcess{executable: executable, dataDir: dataDir, port: port, baseURL: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan struct{})}
	if s.stdout, err = os.OpenFile(filepath.Join(dataDir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	if s.stderr, err = os.OpenFile(filepath.Join(dataDir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	var env []string
	for _, variable := range os.Environ() {
		if !strings.HasPrefix(variable, "PRODVISUAL_") {
			env = append(env, variable)
		}
	}
	env = append(env, "PRODVISUAL_RATE_LIMIT_PER_DAY=100000000")
	s.cmd = exec.Command(executable, "serve",
		"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--data-dir", dataDir, "--allow-private-sources",
		"--rate-limit-per-minute", strconv.Itoa(rateLimitPerMinute))
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitHealthy(60 * time.Second); err != nil {
		s.stop()
		return nil, err
	}
	if err := s.readKeys(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *serverProcess) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "no answer"
	probe := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("the server exited (%v)\n%s", s.cmd.ProcessState, s.stderrTail())
		default:
		}
		reply, err := probe.Get(s.baseURL + "/health")
		if err == nil {
			_, _ = io.Copy(io.Discard, reply.Body)
			reply.Body.Close()
			if reply.StatusCode == http.StatusOK {
				return nil
			}
			last = reply.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the server was not healthy within %v (%s)\n%s", timeout, last, s.stderrTail())
}

func (s *serverProcess) readKeys() error {
	text, err := os.ReadFile(filepath.Join(s.dataDir, "stdout.log"))
	if err != nil {
		return err
	}
	scanner := bufio.NewScanner(bytes.NewReader(text))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 0 {
			continue
		}
		last := fields[len(fields)-1]
		switch {
		case strings.Contains(scanner.Text(), "Live key (spends credits):") && strings.HasPrefix(last, "pv_live_"):
			s.liveKey = last
		case strings.Contains(scanner.Text(), "Test key (free, watermarked):") && strings.HasPrefix(last, "pv_test_"):
			s.testKey = last
		}
	}
	if s.liveKey == "" || s.testKey == "" {
		return fmt.Errorf("the server printed no first-start keys:\n%s", text)
	}
	return nil
}

// createKey is a live key on a new account with credits, made by the operator command.
func (s *serverProcess) createKey(credits int) (string, error) {
	output, err := exec.Command(s.executable, "keys", "create", "--data-dir", s.dataDir, "--credits", strconv.Itoa(credits)).Output()
	if err != nil {
		return "", fmt.Errorf("keys create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(output)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

func (s *serverProcess) outputsDir() string { return filepath.Join(s.dataDir, "outputs") }

func (s *serverProcess) stderrTail() string {
	text, err := os.ReadFile(filepath.Join(s.dataDir, "stderr.log"))
	if err != nil {
		return "(no stderr log)"
	}
	lines := strings.Split(strings.TrimRight(string(text), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

func (s *serverProcess) stop() {
	s.stopOnce.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(15 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.exited
			}
		}
		s.stdout.Close()
		s.stderr.Close()
		if os.Getenv("PRODVISUAL_KEEP_TEST_DATA") == "" {
			os.RemoveAll(s.dataDir)
		}
	})
}

// sourceServer serves source images over loopback, as a shop's CDN would:
//
//   - /packshots/<path>: the bench photos, read in place;
//   - /slow/<seconds>/<path>: the same, after a delay (to keep a request in flight);
//   - /too-large.jpg: an 11 MB body (over the 10 MB limit);
//   - /not-an-image.jpg: text labelled as a JPEG.
type sourceServer struct {
	server  *httptest.Server
	baseURL string
	photos  []string
}

func newSourceServer() (*sourceServer, error) {
	root := packshotsDir()
	var photos []string
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() && strings.HasSuffix(path, ".jpg") && info.Size() <= 150_000 {
			relative, _ := filepath.Rel(root, path)
			photos = append(photos, relative)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the bench photos are missing: expected them in %s (%w)", root, err)
	}
	if len(photos) == 0 {
		return nil, fmt.Errorf("no JPEG of at most 150 kB in %s", root)
	}
	sort.Strings(photos)
	serveFile := func(w http.ResponseWriter, relative string) {
		path := filepath.Join(root, filepath.FromSlash(relative))
		if !strings.HasPrefix(path, root+string(filepath.Separator)) {
			http.NotFound(w, nil)
			return
		}
		body, err := os.ReadFile(path)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case path == "/too-large.jpg":
			const size = 11 * 1024 * 1024
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Content-Length", strconv.Itoa(size))
			chunk := make([]byte, 64*1024)
			copy(chunk, []byte{0xff, 0xd8, 0xff, 0xe0})
			for written := 0; written < size; written += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case path == "/not-an-image.jpg":
			body := []byte(strings.Repeat("This is a text file, not a photo.\n", 20))
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
		case strings.HasPrefix(path, "/slow/"):
			parts := strings.SplitN(strings.TrimPrefix(path, "/slow/"), "/", 2)
			seconds, err := strconv.ParseFloat(parts[0], 64)
			if err != nil || len(parts) != 2 {
				http.NotFound(w, r)
				return
			}
			time.Sleep(time.Duration(seconds * float64(time.Second)))
			serveFile(w, parts[1])
		case strings.HasPrefix(path, "/packshots/"):
			serveFile(w, strings.TrimPrefix(path, "/packshots/"))
		default:
			http.NotFound(w, r)
		}
	})
	server := httptest.NewServer(handler)
	return &sourceServer{server: server, baseURL: server.URL, photos: photos}, nil
}

func (s *sourceServer) url(index int) string {
	return s.baseURL + "/packshots/" + filepath.ToSlash(s.photos[index%len(s.photos)])
}

func (s *sourceServer) slowURL(seconds float64, index int) string {
	return fmt.Sprintf("%s/slow/%g/%s", s.baseURL, seconds, filepath.ToSlash(s.photos[index%len(s.photos)]))
}

// item is a cheap generation: a small white-background JPEG.
func (s *sourceServer) item(index int) prodvisual.GenerateParams {
	return prodvisual.GenerateParams{ImageURL: s.url(index), Style: "white_bg", Dimensions: "400x400", Format: "jpeg"}
}

func (s *sourceServer) stop() { s.server.Close() }

type delivery struct {
	body       []byte
	header     http.Header
	receivedAt time.Time
}

func (d delivery) payload() map[string]any {
	var payload map[string]any
	_ = json.Unmarshal(d.body, &payload)
	return payload
}

// webhookReceiver is a customer's webhook endpoint on loopback: it records every POST and
// answers 200.
type webhookReceiver struct {
	server     *httptest.Server
	url        string
	mutex      sync.Mutex
	deliveries []delivery
}

func newWebhookReceiver() *webhookReceiver {
	receiver := &webhookReceiver{}
	receiver.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, _ := io.ReadAll(r.Body)
		receiver.mutex.Lock()
		receiver.deliveries = append(receiver.deliveries, delivery{body: body, header: r.Header.Clone(), receivedAt: time.Now()})
		receiver.mutex.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	receiver.url = receiver.server.URL + "/hook"
	return receiver
}

// waitFor is the first delivery of event whose data names objectID.
func (r *webhookReceiver) waitFor(t *testing.T, event, objectID string) delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.mutex.Lock()
		for _, d := range r.deliveries {
			payload := d.payload()
			data, _ := payload["data"].(map[string]any)
			if payload["event"] == event && data != nil && (data["id"] == objectID || data["batch_id"] == objectID) {
				r.mutex.Unlock()
				return d
			}
		}
		r.mutex.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	r.mutex.Lock()
	defer r.mutex.Unlock()
	t.Fatalf("no %s delivery for %s within 30 s; got %d", event, objectID, len(r.deliveries))
	return delivery{}
}

func (r *webhookReceiver) stop() { r.server.Close() }

// brokenOutputs replaces the server's outputs folder with a file, so that storing a render fails.
type brokenOutputs struct {
	outputs string
	aside   string
	once    sync.Once
}

func breakOutputs(t *testing.T, s *serverProcess) *brokenOutputs {
	t.Helper()
	b := &brokenOutputs{outputs: s.outputsDir(), aside: s.outputsDir() + ".aside"}
	if err := os.MkdirAll(b.outputs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(b.outputs, b.aside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.outputs, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.restore)
	return b
}

func (b *brokenOutputs) restore() {
	b.once.Do(func() {
		_ = os.Remove(b.outputs)
		_ = os.Rename(b.aside, b.outputs)
	})
}
