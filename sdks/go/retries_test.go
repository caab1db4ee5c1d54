package prodvisual_test

// Automatic retries on the real server (test plan: RETRY-*; RETRY-429 is in zz_rate_limit_test.go).

import (
	"errors"
	"testing"
	"time"

	"github.com/prodvisual/prodvisual-go"
)

func TestRETRY5xx_RetriedUntilTheServerRecovers(t *testing.T) {
	before := balance(t, client)
	var broken *brokenOutputs
	var retries []retryRecord
	retrying := prodvisual.NewClient(server.liveKey, prodvisual.WithBaseURL(server.baseURL),
		prodvisual.WithMaxRetries(3), prodvisual.WithBackoff(200*time.Millisecond, prodvisual.DefaultBackoffMax),
		prodvisual.WithOnRetry(func(attempt int, wait time.Duration, err error) {
			retries = append(retries, retryRecord{attempt, wait, err, time.Now()})
			broken.restore() // the server recovers before the next attempt
		}))
	broken = breakOutputs(t, server)
	result := must(retrying.Generate(ctxFor(t), sources.item(0)))(t)
	if result.Status != "completed" {
		t.Errorf("status %q", result.Status)
	}
	if len(retries) != 1 || !errors.Is(retries[0].err, prodvisual.ErrServerError) || retries[0].attempt != 1 {
		t.Fatalf("retries %+v", retries)
	}
	// Exponential backoff from the base, with jitter: within [base/2, base].
	if wait := retries[0].wait; wait < 100*time.Millisecond || wait > 200*time.Millisecond {
		t.Errorf("waited %v before the retry", wait)
	}
	if result.CreditsRemaining != before-1 { // the failed attempt was refunded
		t.Errorf("remaining %d, before %d", result.CreditsRemaining, before)
	}
}

func TestRETRYTimeout_TheSameIdempotencyKeyAcrossRetries(t *testing.T) {
	// The first attempt outlives the client's time-out; the retries carry the same key, so the
	// server answers 409 while it still runs, then replays its answer: one generation, one credit.
	before := balance(t, client)
	var failures []error
	retrying := prodvisual.NewClient(server.liveKey, prodvisual.WithBaseURL(server.baseURL),
		prodvisual.WithTimeout(time.Second), prodvisual.WithMaxRetries(8),
		prodvisual.WithBackoff(400*time.Millisecond, time.Second),
		prodvisual.WithOnRetry(func(_ int, _ time.Duration, err error) { failures = append(failures, err) }))
	params := sources.item(1)
	params.ImageURL = sources.slowURL(2.5, 1)
	result := must(retrying.Generate(ctxFor(t), params))(t)
	if result.Status != "completed" || !result.IdempotentReplayed {
		t.Errorf("status %q, replayed %v", result.Status, result.IdempotentReplayed)
	}
	var connection *prodvisual.ConnectionError
	if len(failures) == 0 || !errors.As(failures[0], &connection) || !errors.Is(failures[0], prodvisual.ErrConnection) {
		t.Fatalf("first failure %v, want a connection error", failures)
	}
	conflicts := 0
	for _, failure := range failures {
		if errors.Is(failure, prodvisual.ErrConflict) {
			conflicts++
		}
	}
	if conflicts == 0 {
		t.Errorf("no 409 among the retries: %v", failures)
	}
	if got := balance(t, client); got != before-1 {
		t.Errorf("balance %d, want %d", got, before-1)
	}
}
