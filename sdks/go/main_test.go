package prodvisual_test

// The shared test plan (sdks/TEST_PLAN.md) against a real `prodvisual serve` on loopback, which
// TestMain starts on a fresh data directory, beside a source-image server and a webhook receiver.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prodvisual/prodvisual-go"
)

var (
	server   *serverProcess
	sources  *sourceServer
	receiver *webhookReceiver
	client   *prodvisual.Client
	probe    *rateLimitProbe
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// First, so that waiting for the rate-limit window to roll overlaps everything else.
	probe = startRateLimitProbe()
	defer probe.stop()
	var err error
	if server, err = startServer(1_000_000); err != nil {
		fmt.Fprintln(os.Stderr, "starting the server:", err)
		return 1
	}
	defer server.stop()
	if sources, err = newSourceServer(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sources.stop()
	receiver = newWebhookReceiver()
	defer receiver.stop()
	client = prodvisual.NewClient(server.liveKey, prodvisual.WithBaseURL(server.baseURL))
	defer removeScratch()
	return m.Run()
}

type retryRecord struct {
	attempt int
	wait    time.Duration
	err     error
	at      time.Time
}

// rateLimitProbe runs, on its own goroutine and its own server limited to 2 requests a minute,
// the calls that must meet a 429, so that waiting for the clock-aligned window to roll (up to
// 60 s) overlaps the rest of the suite instead of adding to it. The rate-limit tests, last,
// read its results.
type rateLimitProbe struct {
	done   chan struct{}
	cancel context.CancelFunc
	mutex  sync.Mutex
	server *serverProcess

	failure          error
	refused          *prodvisual.Error
	impatient        error
	impatientRetries int
	credits          *prodvisual.Credits
	retries          []retryRecord
	elapsed          time.Duration
}

func startRateLimitProbe() *rateLimitProbe {
	ctx, cancel := context.WithCancel(context.Background())
	p := &rateLimitProbe{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(p.done)
		p.failure = p.run(ctx)
	}()
	return p
}

func (p *rateLimitProbe) run(ctx context.Context) error {
	limited, err := startServer(2)
	if err != nil {
		return err
	}
	p.mutex.Lock()
	p.server = limited
	p.mutex.Unlock()
	base := prodvisual.WithBaseURL(limited.baseURL)

	// Spend the window: the first refused call carries the server's Retry-After.
	noRetry := prodvisual.NewClient(limited.liveKey, base, prodvisual.WithMaxRetries(0))
	for i := 0; i < 6 && p.refused == nil; i++ {
		if _, err := noRetry.Credits(ctx); err != nil {
			if !errors.As(err, &p.refused) || !errors.Is(err, prodvisual.ErrRateLimited) {
				return fmt.Errorf("expected a 429, got %w", err)
			}
		}
	}
	// A Retry-After longer than the max retry wait is not waited for: returned at once.
	impatient := prodvisual.NewClient(limited.liveKey, base, prodvisual.WithMaxRetries(3),
		prodvisual.WithMaxRetryWait(500*time.Millisecond),
		prodvisual.WithOnRetry(func(int, time.Duration, error) { p.impatientRetries++ }))
	_, p.impatient = impatient.Credits(ctx)

	// Retries on: the call waits for Retry-After and then succeeds.
	patient := prodvisual.NewClient(limited.liveKey, base, prodvisual.WithMaxRetries(2),
		prodvisual.WithMaxRetryWait(61*time.Second),
		prodvisual.WithOnRetry(func(attempt int, wait time.Duration, err error) {
			p.retries = append(p.retries, retryRecord{attempt, wait, err, time.Now()})
		}))
	start := time.Now()
	p.credits, err = patient.Credits(ctx)
	p.elapsed = time.Since(start)
	return err
}

// results waits for the probe (it takes up to about a minute and a half).
func (p *rateLimitProbe) results(t *testing.T) *rateLimitProbe {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(100 * time.Second):
		t.Fatal("the rate-limit probe did not finish within 100 s")
	}
	if p.failure != nil {
		t.Fatalf("the rate-limit probe failed: %v", p.failure)
	}
	return p
}

// stop ends the probe (at once when its tests were not run) and its server.
func (p *rateLimitProbe) stop() {
	p.cancel()
	<-p.done
	p.mutex.Lock()
	defer p.mutex.Unlock()
	if p.server != nil {
		p.server.stop()
	}
}
