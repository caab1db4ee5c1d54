package prodvisual_test

// Every /v1 endpoint through the client, against the real server (test plan: API-*).

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prodvisual/prodvisual-go"
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// must(call())(t) is call's value, or a fatal error.
func must[T any](value T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return value
	}
}

func balance(t *testing.T, c *prodvisual.Client) int {
	t.Helper()
	return must(c.Credits(context.Background()))(t).CreditsRemaining
}

func TestAPI1_Styles(t *testing.T) {
	styles := must(client.Styles(ctxFor(t)))(t)
	if styles.Total != 22 || len(styles.Styles) != 22 {
		t.Fatalf("total %d, %d styles; want 22", styles.Total, len(styles.Styles))
	}
	ids := strings.Join(styles.IDs(), " ")
	for _, documented := range []string{"lifestyle", "white_bg", "mockup", "infographic", "social_square", "social_story", "hero_banner", "comparison"} {
		if !strings.Contains(" "+ids+" ", " "+documented+" ") {
			t.Errorf("style %s missing from %s", documented, ids)
		}
	}
	lifestyle := styles.Find("lifestyle")
	if lifestyle == nil || lifestyle.Name == "" || lifestyle.Description == "" || len(lifestyle.Scenes) == 0 {
		t.Fatalf("lifestyle: %+v", lifestyle)
	}
	if lifestyle.Raw["id"] != "lifestyle" {
		t.Errorf("raw: %v", lifestyle.Raw)
	}
}

func TestAPI2_PlatformsAndCredits(t *testing.T) {
	platforms := must(client.Platforms(ctxFor(t)))(t)
	amazon := platforms.Find("amazon")
	if amazon == nil || amazon.DefaultDimensions == "" || amazon.ProductFill <= 0 || amazon.ProductFill > 1 {
		t.Fatalf("amazon: %+v", amazon)
	}
	if platforms.Total != len(platforms.Platforms) {
		t.Errorf("total %d for %d platforms", platforms.Total, len(platforms.Platforms))
	}
	credits := must(client.Credits(ctxFor(t)))(t)
	if credits.CreditsRemaining < 0 {
		t.Errorf("balance %d", credits.CreditsRemaining)
	}
	if credits.Raw["credits_remaining"] != float64(credits.CreditsRemaining) {
		t.Errorf("raw %v", credits.Raw)
	}
	for _, field := range []string{"credits_used_total", "credits_used_today", "last_purchase"} {
		if _, ok := credits.Raw[field]; !ok {
			t.Errorf("%s missing from %v", field, credits.Raw)
		}
	}
	if credits.LastPurchase == nil || credits.LastPurchase.Amount <= 0 || credits.LastPurchase.Date.IsZero() {
		t.Errorf("last purchase %+v", credits.LastPurchase)
	}
}

func TestAPI3_GenerateSynchronously(t *testing.T) {
	ctx := ctxFor(t)
	before := balance(t, client)
	params := sources.item(0)
	params.Platform = "amazon"
	result := must(client.Generate(ctx, params))(t)
	if !strings.HasPrefix(result.ID, "gen_") || result.Status != "completed" {
		t.Fatalf("id %q status %q", result.ID, result.Status)
	}
	if !strings.HasPrefix(result.OutputURL, client.BaseURL()+"/output/") {
		t.Errorf("output_url %q", result.OutputURL)
	}
	if got := []string{result.Style, result.Platform, result.Dimensions, result.Format}; strings.Join(got, " ") != "white_bg amazon 400x400 jpeg" {
		t.Errorf("style, platform, dimensions, format: %v", got)
	}
	if result.CreditsUsed != 1 || result.CreditsRemaining != before-1 || !result.Has("credits_remaining") {
		t.Errorf("credits used %d, remaining %d; balance before %d", result.CreditsUsed, result.CreditsRemaining, before)
	}
	if result.FileSize <= 0 || !result.Has("generation_time_ms") || result.CreatedAt.IsZero() || result.ExpiresAt.IsZero() {
		t.Errorf("file_size %d, generation_time_ms %v, created_at %v, expires_at %v", result.FileSize, result.Raw["generation_time_ms"], result.CreatedAt, result.ExpiresAt)
	}
	if _, ok := result.Compliance["main_image"].(map[string]any); !ok {
		t.Errorf("compliance %v", result.Compliance)
	}
	if result.Raw["output_url"] != result.OutputURL || result.IdempotentReplayed {
		t.Errorf("raw %v, replayed %v", result.Raw["output_url"], result.IdempotentReplayed)
	}
	image := must(client.Download(ctx, result.OutputURL))(t)
	if !bytes.HasPrefix(image, []byte{0xff, 0xd8, 0xff}) || int64(len(image)) != result.FileSize {
		t.Errorf("download: %d bytes, %x...; file_size %d", len(image), image[:min(3, len(image))], result.FileSize)
	}
	lookedUp := must(client.GetGeneration(ctx, result.ID))(t)
	if lookedUp.Status != "completed" || lookedUp.OutputURL == "" {
		t.Errorf("look-up %+v", lookedUp)
	}
	if lookedUp.Has("credits_remaining") { // only on the call that spent it
		t.Errorf("a look-up has credits_remaining %v", lookedUp.Raw["credits_remaining"])
	}
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func TestAPI4_AnExplicitIdempotencyKeyReplaysAndChargesOnce(t *testing.T) {
	ctx := ctxFor(t)
	key := "go-" + time.Now().Format("150405.000000000")
	first := must(client.Generate(ctx, sources.item(1), prodvisual.WithIdempotencyKey(key)))(t)
	// The same request, its fields given another way (Extra, in another order): the same JSON.
	item := sources.item(1)
	reordered := prodvisual.GenerateParams{Extra: map[string]any{
		"format": item.Format, "dimensions": item.Dimensions, "style": item.Style, "image_url": item.ImageURL,
	}}
	again := must(client.Generate(ctx, reordered, prodvisual.WithIdempotencyKey(key)))(t)
	if first.IdempotentReplayed || !again.IdempotentReplayed {
		t.Errorf("replayed: first %v, again %v", first.IdempotentReplayed, again.IdempotentReplayed)
	}
	if again.ID != first.ID || again.CreditsRemaining != first.CreditsRemaining {
		t.Errorf("again %s/%d, first %s/%d", again.ID, again.CreditsRemaining, first.ID, first.CreditsRemaining)
	}
	if got := balance(t, client); got != first.CreditsRemaining {
		t.Errorf("balance %d after the replay, want %d", got, first.CreditsRemaining)
	}
	// A batch whose items give their fields in another order is the same request.
	items := []prodvisual.GenerateParams{sources.item(0), sources.item(1)}
	batch := must(client.GenerateBatch(ctx, prodvisual.BatchParams{Items: items}, prodvisual.WithIdempotencyKey(key+"-batch")))(t)
	var reorderedItems []prodvisual.GenerateParams
	for _, item := range items {
		reorderedItems = append(reorderedItems, prodvisual.GenerateParams{Format: item.Format, Extra: map[string]any{"image_url": item.ImageURL}, Dimensions: item.Dimensions, Style: item.Style})
	}
	replayed := must(client.GenerateBatch(ctx, prodvisual.BatchParams{Items: reorderedItems}, prodvisual.WithIdempotencyKey(key+"-batch")))(t)
	if !replayed.IdempotentReplayed || replayed.BatchID != batch.BatchID {
		t.Errorf("batch replay: %v %s vs %s", replayed.IdempotentReplayed, replayed.BatchID, batch.BatchID)
	}
	must(client.WaitForBatch(ctx, batch.BatchID, prodvisual.WaitOptions{Timeout: 2 * time.Minute, PollInterval: 250 * time.Millisecond}))(t)
}

func TestAPI4_EachPostGetsItsOwnIdempotencyKey(t *testing.T) {
	ctx := ctxFor(t)
	// Two identical calls without a key are two generations, not a replay.
	one := must(client.Generate(ctx, sources.item(2)))(t)
	two := must(client.Generate(ctx, sources.item(2)))(t)
	if one.ID == two.ID || two.IdempotentReplayed {
		t.Errorf("one %s, two %s (replayed %v)", one.ID, two.ID, two.IdempotentReplayed)
	}
	if two.CreditsRemaining != one.CreditsRemaining-1 {
		t.Errorf("remaining %d then %d", one.CreditsRemaining, two.CreditsRemaining)
	}
}

func TestAPI5_GenerateWithAWebhookIsQueuedThenWaitedFor(t *testing.T) {
	ctx := ctxFor(t)
	params := sources.item(0)
	params.WebhookURL = receiver.url
	pending := must(client.Generate(ctx, params))(t)
	if pending.Status != "pending" || pending.OutputURL != "" || pending.Has("output_url") {
		t.Fatalf("status %q, output_url %q", pending.Status, pending.OutputURL)
	}
	done := must(client.WaitForCompletion(ctx, pending.ID, prodvisual.WaitOptions{Timeout: time.Minute, PollInterval: 200 * time.Millisecond}))(t)
	generation, ok := done.(*prodvisual.Generation)
	if !ok || generation.Status != "completed" || generation.OutputURL == "" {
		t.Fatalf("done %#v", done)
	}
}

func TestAPI6_BatchThenWaitForCompletion(t *testing.T) {
	ctx := ctxFor(t)
	before := balance(t, client)
	batch := must(client.GenerateBatch(ctx, prodvisual.BatchParams{Items: []prodvisual.GenerateParams{sources.item(0), sources.item(1), sources.item(2)}}))(t)
	if !strings.HasPrefix(batch.BatchID, "batch_") || batch.ID() != batch.BatchID {
		t.Fatalf("batch id %q", batch.BatchID)
	}
	if batch.Status != "pending" && batch.Status != "processing" {
		t.Errorf("status %q", batch.Status)
	}
	if batch.TotalItems != 3 || len(batch.Items) != 3 || batch.CreditsUsed != 3 || batch.CreditsRemaining != before-3 {
		t.Errorf("total %d, items %d, used %d, remaining %d (before %d)", batch.TotalItems, len(batch.Items), batch.CreditsUsed, batch.CreditsRemaining, before)
	}
	for _, field := range []string{"batch_id", "status", "total_items", "credits_used", "credits_remaining", "estimated_time_ms", "results_url", "items"} {
		if !batch.Has(field) {
			t.Errorf("%s missing from %v", field, batch.Raw)
		}
	}
	if !strings.HasSuffix(batch.ResultsURL, "/v1/generations/"+batch.BatchID) {
		t.Errorf("results_url %q", batch.ResultsURL)
	}
	done := must(client.WaitForCompletion(ctx, batch.BatchID, prodvisual.WaitOptions{Timeout: 2 * time.Minute, PollInterval: 250 * time.Millisecond}))(t)
	finished, ok := done.(*prodvisual.Batch)
	if !ok || finished.Status != "completed" || finished.CompletedItems != 3 || finished.FailedItems != 0 {
		t.Fatalf("done %#v", done)
	}
	for _, item := range finished.Items {
		if item.Status != "completed" || item.OutputURL == "" || item.BatchID != batch.BatchID || item.Raw["id"] != item.ID {
			t.Errorf("item %+v", item)
		}
	}
	if job := must(client.Get(ctx, batch.BatchID))(t); job.JobID() != batch.BatchID {
		t.Errorf("the batch id reads back as %#v", job)
	} else if _, isBatch := job.(*prodvisual.Batch); !isBatch {
		t.Errorf("the batch id reads back as a %T", job)
	}
	if got := must(client.GetBatch(ctx, batch.BatchID))(t); got.BatchID != batch.BatchID {
		t.Errorf("GetBatch %s", got.BatchID)
	}
}

func TestAPI7_WaitForCompletionTimesOut(t *testing.T) {
	ctx := ctxFor(t)
	params := sources.item(0)
	params.ImageURL = sources.slowURL(3, 0)
	params.WebhookURL = receiver.url
	pending := must(client.Generate(ctx, params))(t)
	_, err := client.WaitForCompletion(ctx, pending.ID, prodvisual.WaitOptions{Timeout: 300 * time.Millisecond, PollInterval: 100 * time.Millisecond})
	var timeout *prodvisual.WaitTimeoutError
	if !errors.As(err, &timeout) || !errors.Is(err, prodvisual.ErrWaitTimeout) {
		t.Fatalf("want a *WaitTimeoutError, got %v", err)
	}
	if timeout.Last == nil || (timeout.Last.JobStatus() != "pending" && timeout.Last.JobStatus() != "processing") || timeout.ID != pending.ID {
		t.Fatalf("last %#v", timeout.Last)
	}
	done := must(client.WaitForGeneration(ctx, pending.ID, prodvisual.WaitOptions{Timeout: time.Minute, PollInterval: 200 * time.Millisecond}))(t)
	if done.Status != "completed" {
		t.Errorf("status %q", done.Status)
	}
}
