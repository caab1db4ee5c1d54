package prodvisual_test

// Each API error code, provoked on the real server (test plan: ERR-*).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prodvisual/prodvisual-go"
)

// checkError: err is an *Error with code and status, matches sentinel and no other, and its
// message is in its text.
func checkError(t *testing.T, err error, sentinel *prodvisual.Error, code string, status int) *prodvisual.Error {
	t.Helper()
	var apiErr *prodvisual.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want a *prodvisual.Error, got %T: %v", err, err)
	}
	if apiErr.Code != code || apiErr.Status != status {
		t.Fatalf("code %q status %d, want %q %d (%v)", apiErr.Code, apiErr.Status, code, status, err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(err, %s sentinel) is false", code)
	}
	for _, other := range []*prodvisual.Error{prodvisual.ErrInvalidRequest, prodvisual.ErrUnauthorized, prodvisual.ErrInsufficientCredits, prodvisual.ErrNotFound, prodvisual.ErrConflict, prodvisual.ErrFileTooLarge, prodvisual.ErrInvalidImage, prodvisual.ErrRateLimited, prodvisual.ErrServerError} {
		if other != sentinel && errors.Is(err, other) {
			t.Errorf("a %s error also matches %s", code, other.Code)
		}
	}
	if apiErr.Message == "" || !strings.Contains(err.Error(), apiErr.Message) {
		t.Errorf("message %q, text %q", apiErr.Message, err.Error())
	}
	return apiErr
}

func TestERR400_InvalidRequest(t *testing.T) {
	_, err := client.Generate(ctxFor(t), prodvisual.GenerateParams{ImageURL: sources.url(0), Style: "no_such_style"})
	apiErr := checkError(t, err, prodvisual.ErrInvalidRequest, "invalid_request", 400)
	if !strings.Contains(strings.ToLower(apiErr.Message), "style") {
		t.Errorf("message %q does not name the style", apiErr.Message)
	}
}

func TestERR401_Unauthorized(t *testing.T) {
	stranger := prodvisual.NewClient("pv_live_not_a_real_key", prodvisual.WithBaseURL(server.baseURL))
	_, err := stranger.Credits(ctxFor(t))
	checkError(t, err, prodvisual.ErrUnauthorized, "unauthorized", 401)
}

func TestERR402_InsufficientCredits(t *testing.T) {
	key := must(server.createKey(0))(t)
	broke := prodvisual.NewClient(key, prodvisual.WithBaseURL(server.baseURL))
	_, err := broke.Generate(ctxFor(t), sources.item(0))
	checkError(t, err, prodvisual.ErrInsufficientCredits, "insufficient_credits", 402)
}

func TestERR404_NotFound(t *testing.T) {
	_, err := client.GetGeneration(ctxFor(t), "gen_doesnotexist")
	checkError(t, err, prodvisual.ErrNotFound, "not_found", 404)
}

func TestERR409_ConflictWhileTheSameIdempotencyKeyIsInFlight(t *testing.T) {
	ctx := ctxFor(t)
	key := "go-conflict-" + time.Now().Format("150405.000000000")
	params := sources.item(0)
	params.ImageURL = sources.slowURL(2, 0)
	type outcome struct {
		result *prodvisual.Generation
		err    error
	}
	first := make(chan outcome, 1)
	go func() {
		result, err := client.Generate(ctx, params, prodvisual.WithIdempotencyKey(key))
		first <- outcome{result, err}
	}()
	time.Sleep(700 * time.Millisecond)
	noRetry := prodvisual.NewClient(server.liveKey, prodvisual.WithBaseURL(server.baseURL), prodvisual.WithMaxRetries(0))
	_, err := noRetry.Generate(ctx, params, prodvisual.WithIdempotencyKey(key))
	checkError(t, err, prodvisual.ErrConflict, "conflict", 409)
	select {
	case got := <-first:
		if got.err != nil || got.result.Status != "completed" {
			t.Errorf("the first call: %v %+v", got.err, got.result)
		}
	case <-time.After(time.Minute):
		t.Fatal("the first call did not end within a minute")
	}
}

func TestERR413_FileTooLarge(t *testing.T) {
	_, err := client.Generate(ctxFor(t), prodvisual.GenerateParams{ImageURL: sources.baseURL + "/too-large.jpg", Style: "white_bg"})
	checkError(t, err, prodvisual.ErrFileTooLarge, "file_too_large", 413)
}

func TestERR422_InvalidImage(t *testing.T) {
	_, err := client.Generate(ctxFor(t), prodvisual.GenerateParams{ImageURL: sources.baseURL + "/not-an-image.jpg", Style: "white_bg"})
	checkError(t, err, prodvisual.ErrInvalidImage, "invalid_image", 422)
}

func TestERR500_ServerErrorWithoutRetries(t *testing.T) {
	// The server cannot store outputs (its outputs folder is replaced by a file): 500.
	noRetry := prodvisual.NewClient(server.liveKey, prodvisual.WithBaseURL(server.baseURL), prodvisual.WithMaxRetries(0))
	broken := breakOutputs(t, server)
	_, err := noRetry.Generate(ctxFor(t), sources.item(0))
	broken.restore()
	checkError(t, err, prodvisual.ErrServerError, "server_error", 500)
}

func TestUnit_ConfigurationAndErrorValues(t *testing.T) {
	// The base URL: the option, then PRODVISUAL_BASE_URL, then the default; a trailing /v1 is accepted.
	t.Setenv("PRODVISUAL_BASE_URL", "")
	t.Setenv("PRODVISUAL_API_KEY", "")
	if got := prodvisual.NewClient("k").BaseURL(); got != prodvisual.DefaultBaseURL {
		t.Errorf("default base URL %q", got)
	}
	t.Setenv("PRODVISUAL_BASE_URL", "http://127.0.0.1:9/v1/")
	if got := prodvisual.NewClient("k").BaseURL(); got != "http://127.0.0.1:9" {
		t.Errorf("base URL from the environment %q", got)
	}
	if got := prodvisual.NewClient("k", prodvisual.WithBaseURL("http://localhost:8080")).BaseURL(); got != "http://localhost:8080" {
		t.Errorf("base URL option %q", got)
	}
	// No key, or a bad base URL: every call says so.
	if err := prodvisual.NewClient("").Err(); err == nil {
		t.Error("a client without a key has no error")
	}
	if _, err := prodvisual.NewClient("").Credits(context.Background()); err == nil || !strings.Contains(err.Error(), "API key") {
		t.Errorf("a call without a key: %v", err)
	}
	t.Setenv("PRODVISUAL_API_KEY", "pv_test_env")
	if err := prodvisual.NewClient("").Err(); err != nil {
		t.Errorf("the key from the environment: %v", err)
	}
	if err := prodvisual.NewClient("k", prodvisual.WithBaseURL("ftp://example.com")).Err(); err == nil {
		t.Error("an ftp base URL is accepted")
	}
	// The key is not shown when the client is printed.
	secret := prodvisual.NewClient("pv_live_secret_part", prodvisual.WithBaseURL("http://127.0.0.1:9"))
	if text := secret.String() + " " + strings.TrimSpace(fmtAll(secret)); strings.Contains(text, "secret_part") {
		t.Errorf("the key shows: %s", text)
	}
	// A generation without a style is refused before sending.
	if _, err := secret.Generate(context.Background(), prodvisual.GenerateParams{ImageURL: "http://x/y.jpg"}); err == nil {
		t.Error("a generation without a style was sent")
	}
}

func fmtAll(value any) string { return fmt.Sprintf("%v %+v %#v %s", value, value, value, value) }
