package prodvisual_test

// The README's examples, built and run as written against the real server (test plan: DOC),
// from a scratch module that uses this folder the way the README says, offline (PKG). Only the
// placeholders change: the key, the server's address, and the example.com photos (the bench
// photos served on loopback).

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const modulePath = "github.com/prodvisual/prodvisual-go"

// documentExample is the API document's Python example, in Go.
const documentExample = `package main

import (
	"context"
	"fmt"
	"log"

	"github.com/prodvisual/prodvisual-go"
)

func main() {
	client := prodvisual.NewClient("pv_live_a1b2c3d4...")

	result, err := client.Generate(context.Background(), prodvisual.GenerateParams{
		ImageURL: "https://example.com/product.jpg",
		Style:    "lifestyle",
		Platform: "amazon",
	})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(result.OutputURL)        // https://cdn.prodvisual.com/output/...
	fmt.Println(result.CreditsRemaining) // 49
}
`

const baseURLOption = `, prodvisual.WithBaseURL("http://127.0.0.1:8080")`

// readmeExamples are the README's go blocks, in order.
func readmeExamples(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var examples []string
	for _, match := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(text), -1) {
		examples = append(examples, match[1])
	}
	if len(examples) != 4 {
		t.Fatalf("%d go examples in the README, want 4", len(examples))
	}
	return examples
}

func goTool() string {
	if path := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(path) {
		return path
	}
	return "go"
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// scratch is a fresh GOPATH and module that requires this folder through a replace directive,
// offline: no module proxy, no checksum database.
type scratch struct {
	dir string
	env []string
}

var (
	scratchOnce   sync.Once
	scratchModule *scratch
	scratchErr    error
)

func scratchProject(t *testing.T) *scratch {
	t.Helper()
	scratchOnce.Do(func() { scratchModule, scratchErr = newScratch() })
	if scratchErr != nil {
		t.Fatal(scratchErr)
	}
	return scratchModule
}

func newScratch() (*scratch, error) {
	dir, err := os.MkdirTemp("", "pv-sdk-go-readme-")
	if err != nil {
		return nil, err
	}
	s := &scratch{dir: dir}
	for _, variable := range os.Environ() {
		name := strings.SplitN(variable, "=", 2)[0]
		switch name {
		case "GOPATH", "GOFLAGS", "GOPROXY", "GOWORK", "GO111MODULE", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GOMODCACHE":
			continue
		}
		if strings.HasPrefix(name, "PRODVISUAL_") {
			continue
		}
		s.env = append(s.env, variable)
	}
	s.env = append(s.env, "GOPATH="+filepath.Join(dir, "gopath"), "GOFLAGS=-mod=mod", "GOPROXY=off",
		"GOSUMDB=off", "GOWORK=off", "GO111MODULE=on")
	sdk, err := filepath.Abs(".")
	if err != nil {
		return nil, err
	}
	// As the README says: a module of one's own, then go mod edit to point at the folder.
	if _, err := s.goCommand("mod", "init", "readme-examples"); err != nil {
		return nil, err
	}
	if _, err := s.goCommand("mod", "edit", "-require="+modulePath+"@v0.0.0", "-replace="+modulePath+"="+sdk); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *scratch) goCommand(args ...string) (string, error) {
	command := exec.Command(goTool(), args...)
	command.Dir, command.Env = s.dir, s.env
	output, err := command.CombinedOutput()
	if err != nil {
		return string(output), fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, output)
	}
	return string(output), nil
}

// build writes code as the program name and builds it.
func (s *scratch) build(t *testing.T, name, code string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(s.dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, name, "main.go"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(s.dir, "bin", name)
	if _, err := s.goCommand("build", "-o", binary, "./"+name); err != nil {
		t.Fatal(err)
	}
	return binary
}

// run builds code and runs it, and returns its standard output.
func (s *scratch) run(t *testing.T, name, code string, env ...string) string {
	t.Helper()
	binary := s.build(t, name, code)
	command := exec.Command(binary)
	command.Dir = s.dir
	command.Env = append(append([]string{}, s.env...), env...)
	var stdout, stderr bytes.Buffer
	command.Stdout, command.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := command.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- command.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, stderr.String())
		}
	case <-time.After(5 * time.Minute):
		_ = command.Process.Kill()
		t.Fatalf("%s did not end within 5 minutes", name)
	}
	return stdout.String()
}

func substitute(code string) string {
	code = strings.ReplaceAll(code, "pv_live_a1b2c3d4...", server.liveKey)
	code = strings.ReplaceAll(code, "http://127.0.0.1:8080", server.baseURL)
	code = strings.ReplaceAll(code, "https://example.com/product.jpg", sources.url(0))
	for n := 1; n <= 3; n++ {
		code = strings.ReplaceAll(code, fmt.Sprintf("https://example.com/product%d.jpg", n), sources.url(n))
	}
	return code
}

func TestDOC_TheReadmeHasTheDocumentsExampleVerbatimButForTheBaseURL(t *testing.T) {
	first := readmeExamples(t)[0]
	if !strings.Contains(first, `client := prodvisual.NewClient("pv_live_a1b2c3d4..."`+baseURLOption+`)`) {
		t.Fatalf("the first example does not pass the base URL:\n%s", first)
	}
	if got := strings.Replace(first, baseURLOption, "", 1); got != documentExample {
		t.Fatalf("the first example is not the document's:\n%s", got)
	}
}

func TestDOC_TheDocumentsExampleRuns(t *testing.T) {
	output := strings.Split(scratchProject(t).run(t, "document", substitute(readmeExamples(t)[0])), "\n")
	if !strings.HasPrefix(output[0], server.baseURL+"/output/gen_") || len(output) < 2 || output[1] == "" || output[1] == "0" {
		t.Fatalf("output %q", output)
	}
}

func TestDOC_TheDocumentsExampleRunsWithTheBaseURLInTheEnvironment(t *testing.T) {
	code := substitute(documentExample)
	output := scratchProject(t).run(t, "document_env", code, "PRODVISUAL_BASE_URL="+server.baseURL+"/v1")
	if !strings.HasPrefix(output, server.baseURL+"/output/gen_") {
		t.Fatalf("output %q", output)
	}
}

func TestDOC_TheBatchExampleRuns(t *testing.T) {
	output := strings.Split(strings.TrimSpace(scratchProject(t).run(t, "batch", substitute(readmeExamples(t)[1]))), "\n")
	if len(output) != 4 || !regexp.MustCompile(`^batch_\S+ (pending|processing) 3 \d+$`).MatchString(output[0]) {
		t.Fatalf("output %q", output)
	}
	for _, line := range output[1:] {
		if !regexp.MustCompile(`^gen_\S+ completed ` + regexp.QuoteMeta(server.baseURL) + `/output/`).MatchString(line) {
			t.Errorf("item line %q", line)
		}
	}
}

func TestDOC_TheErrorExampleRuns(t *testing.T) {
	output := scratchProject(t).run(t, "errors", substitute(readmeExamples(t)[2]))
	if !strings.HasPrefix(output, "invalid_request 400 ") {
		t.Fatalf("output %q", output)
	}
}

// syncBuffer is a bytes.Buffer the child process and the test share.
type syncBuffer struct {
	mutex  sync.Mutex
	buffer bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mutex.Lock()
	defer b.mutex.Unlock()
	return b.buffer.Write(p)
}

func (b *syncBuffer) String() string {
	b.mutex.Lock()
	defer b.mutex.Unlock()
	return b.buffer.String()
}

func TestDOC_TheWebhookExampleVerifiesARealDelivery(t *testing.T) {
	port := must(freePort())(t)
	code := substitute(readmeExamples(t)[3])
	if !strings.Contains(code, `":3000"`) {
		t.Fatal("the webhook example does not listen on :3000")
	}
	code = strings.Replace(code, `":3000"`, fmt.Sprintf(`"127.0.0.1:%d"`, port), 1)
	project := scratchProject(t)
	binary := project.build(t, "webhook", code)
	command := exec.Command(binary)
	command.Env = project.env
	var stdout, stderr syncBuffer
	command.Stdout, command.Stderr = &stdout, &stderr
	if err := command.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = command.Process.Kill()
		_ = command.Wait()
	}()

	params := sources.item(0)
	params.WebhookURL = receiver.url
	pending := must(client.Generate(ctxFor(t), params))(t)
	d := receiver.waitFor(t, "generation.completed", pending.ID)
	forward := func(body []byte) int {
		for i := 0; ; i++ {
			request, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/webhooks/prodvisual", port), bytes.NewReader(body))
			for name, values := range d.header {
				if strings.HasPrefix(strings.ToLower(name), "x-prodvisual-") || strings.EqualFold(name, "Content-Type") {
					request.Header[name] = values
				}
			}
			reply, err := http.DefaultClient.Do(request)
			if err == nil {
				reply.Body.Close()
				return reply.StatusCode
			}
			if i > 100 {
				t.Fatalf("the webhook example does not answer: %v\n%s", err, stderr.String())
			}
			time.Sleep(100 * time.Millisecond) // still starting
		}
	}
	if status := forward(d.body); status != http.StatusOK {
		t.Errorf("the delivery was answered %d", status)
	}
	if status := forward(append(append([]byte{}, d.body...), ' ')); status != http.StatusUnauthorized {
		t.Errorf("a changed body was answered %d", status)
	}
	want := fmt.Sprintf("generation.completed %s %s\n", d.header.Get("X-ProdVisual-Event-Id"), pending.ID)
	if got := stdout.String(); got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

func TestPKG_TheModuleBuildsOfflineFromAFreshGOPATH(t *testing.T) {
	goMod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(goMod), "module "+modulePath+"\n") || strings.Contains(string(goMod), "require") {
		t.Errorf("go.mod: the module path, and no requirement:\n%s", goMod)
	}
	project := scratchProject(t)
	// The document's example as it stands, placeholders included, builds.
	project.build(t, "pkg", documentExample)
	modules, err := project.goCommand("list", "-m", "all")
	if err != nil {
		t.Fatal(err)
	}
	sdk, _ := filepath.Abs(".")
	if want := "readme-examples\n" + modulePath + " v0.0.0 => " + sdk + "\n"; modules != want {
		t.Errorf("modules %q, want %q", modules, want)
	}
	// Standard library only.
	nonStandard, err := project.goCommand("list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", modulePath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(nonStandard) != modulePath {
		t.Errorf("dependencies beyond the standard library: %q", nonStandard)
	}
	if _, err := project.goCommand("vet", "./pkg"); err != nil {
		t.Error(err)
	}
}

// removeScratch deletes the scratch module and its GOPATH (whose module cache is read-only).
func removeScratch() {
	if scratchModule == nil {
		return
	}
	_ = filepath.Walk(scratchModule.dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() {
			_ = os.Chmod(path, 0o755)
		}
		return nil
	})
	_ = os.RemoveAll(scratchModule.dir)
}
