package prodvisual_test

// Rate limits, on their own server limited to 2 requests a minute (test plan: ERR-429,
// RETRY-429). The file sorts last so that these tests run last: the probe that makes the calls
// started with TestMain, and its wait for the window to roll overlapped everything else.

import (
	"errors"
	"testing"
	"time"

	"github.com/prodvisual/prodvisual-go"
)

func TestERR429_RateLimitedWithRetryAfterWhenRetriesAreOff(t *testing.T) {
	results := probe.results(t)
	refused := checkError(t, results.refused, prodvisual.ErrRateLimited, "rate_limited", 429)
	retryAfter, ok := refused.RetryAfter()
	if !ok || retryAfter < time.Second || retryAfter > time.Minute {
		t.Errorf("Retry-After %v (%v)", retryAfter, ok)
	}
	if limit, ok := refused.Limit(); !ok || limit != 2 {
		t.Errorf("limit %d (%v)", limit, ok)
	}
	if remaining, ok := refused.Remaining(); !ok || remaining != 0 {
		t.Errorf("remaining %d (%v)", remaining, ok)
	}
	if reset, ok := refused.Reset(); !ok || reset.Before(time.Now().Add(-2*time.Minute)) {
		t.Errorf("reset %v (%v)", reset, ok)
	}
	// A Retry-After beyond the max retry wait is not waited for: returned at once.
	if !errors.Is(results.impatient, prodvisual.ErrRateLimited) || results.impatientRetries != 0 {
		t.Errorf("impatient: %v after %d retries", results.impatient, results.impatientRetries)
	}
}

func TestRETRY429_RetriedAfterRetryAfter(t *testing.T) {
	results := probe.results(t)
	if results.credits == nil {
		t.Fatal("no credits read")
	}
	if len(results.retries) != 1 {
		t.Fatalf("retries %+v", results.retries)
	}
	retry := results.retries[0]
	var apiErr *prodvisual.Error
	if !errors.As(retry.err, &apiErr) || !errors.Is(retry.err, prodvisual.ErrRateLimited) {
		t.Fatalf("retried after %v", retry.err)
	}
	retryAfter, _ := apiErr.RetryAfter()
	// It waited what the server asked, not a short backoff, and then got through.
	if retry.wait < retryAfter {
		t.Errorf("waited %v, Retry-After %v", retry.wait, retryAfter)
	}
	if results.elapsed < retryAfter-time.Second {
		t.Errorf("the call took %v, Retry-After %v", results.elapsed, retryAfter)
	}
}
