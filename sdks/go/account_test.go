package prodvisual_test

// Usage, the account's history and its API keys, against the real server (test plan: ACCT-*).

import (
	"errors"
	"testing"
	"time"

	"github.com/prodvisual/prodvisual-go"
)

func TestACCT1_UsageCountsToday(t *testing.T) {
	ctx := ctxFor(t)
	must(client.Generate(ctx, sources.item(0)))(t)
	usage := must(client.Usage(ctx, 7))(t)
	if usage.Days != 7 || len(usage.Data) != 7 {
		t.Fatalf("7 days, got %d (%d entries)", usage.Days, len(usage.Data))
	}
	today := time.Now().UTC().Format("2006-01-02")
	last := usage.Data[6]
	if last.Date != today || usage.To != today || last.CreditsUsed < 1 || last.Generations < 1 {
		t.Fatalf("today %s: %+v (to %s)", today, last, usage.To)
	}
	sum := 0
	for _, day := range usage.Data {
		sum += day.CreditsUsed
	}
	if sum != usage.CreditsUsed {
		t.Fatalf("total %d, days add up to %d", usage.CreditsUsed, sum)
	}
}

func TestACCT2_GenerationsAreListedNewestFirst(t *testing.T) {
	ctx := ctxFor(t)
	first := must(client.Generate(ctx, sources.item(0)))(t)
	second := must(client.Generate(ctx, sources.item(1)))(t)
	page := must(client.ListGenerations(ctx, prodvisual.ListParams{Limit: 1}))(t)
	if !page.HasMore || len(page.Data) != 1 || page.Data[0].JobID() != second.ID {
		t.Fatalf("first page: %+v", page)
	}
	next := must(client.ListGenerations(ctx, prodvisual.ListParams{Limit: 1, StartingAfter: second.ID}))(t)
	if len(next.Data) != 1 || next.Data[0].JobID() != first.ID {
		t.Fatalf("second page: %+v", next)
	}
	seen := map[string]bool{}
	var order []string
	it := client.IterGenerations(ctx, prodvisual.ListParams{Limit: 2})
	for it.Next() {
		id := it.Current().JobID()
		if seen[id] {
			t.Fatalf("%s listed twice", id)
		}
		seen[id] = true
		order = append(order, id)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if len(order) < 2 || order[0] != second.ID || order[1] != first.ID {
		t.Fatalf("iteration order: %v", order)
	}
}

func TestACCT3_ALiveKeyCreatesAndRevokesAKey(t *testing.T) {
	ctx := ctxFor(t)
	created := must(client.CreateKey(ctx, prodvisual.CreateKeyParams{Name: "sdk test", Mode: "test"}))(t)
	if created.Secret == "" || created.Prefix != "pv_test_" || created.Name != "sdk test" || created.Revoked() {
		t.Fatalf("created: %+v", created)
	}
	fresh := prodvisual.NewClient(created.Secret, prodvisual.WithBaseURL(server.baseURL))
	must(fresh.Credits(ctx))(t)
	keys := must(client.ListKeys(ctx))(t)
	if keys[0].ID != created.ID || keys[0].Secret != "" || keys[0].LastUsedAt == "" {
		t.Fatalf("listed: %+v", keys[0])
	}
	if revoked := must(client.RevokeKey(ctx, created.ID))(t); !revoked.Revoked() {
		t.Fatalf("not revoked: %+v", revoked)
	}
	refused := prodvisual.NewClient(created.Secret, prodvisual.WithBaseURL(server.baseURL), prodvisual.WithMaxRetries(0))
	if _, err := refused.Credits(ctx); !errors.Is(err, prodvisual.ErrUnauthorized) || errors.Is(err, prodvisual.ErrForbidden) {
		t.Fatalf("a revoked key: %v", err)
	}
}

func TestACCT4_ATestKeyMayNotManageKeys(t *testing.T) {
	sandbox := prodvisual.NewClient(server.testKey, prodvisual.WithBaseURL(server.baseURL), prodvisual.WithMaxRetries(0))
	_, err := sandbox.ListKeys(ctxFor(t))
	var apiErr *prodvisual.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 403 || !errors.Is(err, prodvisual.ErrForbidden) || !errors.Is(err, prodvisual.ErrUnauthorized) {
		t.Fatalf("want 403 unauthorized, got %v", err)
	}
}
