package prodvisual_test

// Webhook verification with signatures made by the server (test plan: HOOK-*).

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodvisual/prodvisual-go"
)

func TestHOOK1_AGenerationWebhookVerifiesWithTheKeyThatMadeIt(t *testing.T) {
	params := sources.item(2)
	params.WebhookURL = receiver.url
	pending := must(client.Generate(ctxFor(t), params))(t)
	d := receiver.waitFor(t, "generation.completed", pending.ID)
	signature := d.header.Get(prodvisual.SignatureHeader)
	timestamp := d.header.Get(prodvisual.TimestampHeader)

	if !prodvisual.VerifyWebhook(d.body, signature, server.liveKey) {
		t.Error("the delivery does not verify")
	}
	if !prodvisual.VerifyWebhook(d.body, signature, server.liveKey, prodvisual.WithTimestamp(timestamp)) {
		t.Error("the delivery does not verify with its timestamp")
	}
	if signature != prodvisual.ComputeSignature(d.body, server.liveKey) {
		t.Errorf("signature %s, computed %s", signature, prodvisual.ComputeSignature(d.body, server.liveKey))
	}

	// Anything else fails: another key, a changed body, a cut or empty signature, an old or
	// malformed timestamp.
	tampered := bytes.Replace(d.body, []byte("completed"), []byte("failed"), 1)
	old := strconv.FormatInt(time.Now().Unix()-3600, 10)
	for name, verified := range map[string]bool{
		"another key":        prodvisual.VerifyWebhook(d.body, signature, server.testKey),
		"a changed body":     prodvisual.VerifyWebhook(tampered, signature, server.liveKey),
		"a cut signature":    prodvisual.VerifyWebhook(d.body, signature[:len(signature)-2], server.liveKey),
		"an empty signature": prodvisual.VerifyWebhook(d.body, "", server.liveKey),
		"an hour old":        prodvisual.VerifyWebhook(d.body, signature, server.liveKey, prodvisual.WithTimestamp(old)),
		"not a number":       prodvisual.VerifyWebhook(d.body, signature, server.liveKey, prodvisual.WithTimestamp("not a number")),
		"an empty timestamp": prodvisual.VerifyWebhook(d.body, signature, server.liveKey, prodvisual.WithTimestamp("")),
	} {
		if verified {
			t.Errorf("%s verifies", name)
		}
	}
	if bytes.Equal(tampered, d.body) {
		t.Fatal("the body was not changed")
	}

	event := must(prodvisual.ParseWebhook(d.body, d.header, server.liveKey))(t)
	if event.Event != "generation.completed" || event.Data["id"] != pending.ID || event.EventID != d.header.Get(prodvisual.EventIDHeader) || event.EventID == "" {
		t.Errorf("event %s, data id %v, event id %q", event.Event, event.Data["id"], event.EventID)
	}
	if event.Timestamp == "" || event.Raw["event"] != "generation.completed" {
		t.Errorf("timestamp %q, raw %v", event.Timestamp, event.Raw)
	}
	generation := event.Generation()
	if generation == nil || generation.ID != pending.ID || generation.Status != "completed" || generation.OutputURL == "" || event.Batch() != nil {
		t.Errorf("generation %+v", generation)
	}
	_, err := prodvisual.ParseWebhook(tampered, d.header, server.liveKey)
	var verification *prodvisual.WebhookVerificationError
	if !errors.As(err, &verification) || !errors.Is(err, prodvisual.ErrWebhookVerification) {
		t.Errorf("a changed body parses: %v", err)
	}
	// Headers spelt another way than Go's canonical form are found as well.
	lower := map[string][]string{}
	for name, values := range d.header {
		lower[strings.ToLower(name)] = values
	}
	if _, err := prodvisual.ParseWebhook(d.body, lower, server.liveKey); err != nil {
		t.Errorf("lower-case headers: %v", err)
	}
}

func TestHOOK2_ABatchWebhookVerifies(t *testing.T) {
	ctx := ctxFor(t)
	batch := must(client.GenerateBatch(ctx, prodvisual.BatchParams{Items: []prodvisual.GenerateParams{sources.item(0), sources.item(1)}, WebhookURL: receiver.url}))(t)
	done := must(client.WaitForBatch(ctx, batch.BatchID, prodvisual.WaitOptions{Timeout: 2 * time.Minute, PollInterval: 250 * time.Millisecond}))(t)
	if done.Status != "completed" {
		t.Fatalf("status %q", done.Status)
	}
	d := receiver.waitFor(t, "batch.completed", batch.BatchID)
	event := must(prodvisual.ParseWebhook(d.body, d.header, server.liveKey))(t)
	if event.Event != "batch.completed" || event.Data["batch_id"] != batch.BatchID {
		t.Fatalf("event %s, data %v", event.Event, event.Data)
	}
	parsed := event.Batch()
	if parsed == nil || parsed.BatchID != batch.BatchID || len(parsed.Items) != 2 || event.Generation() != nil {
		t.Fatalf("batch %+v", parsed)
	}
	for _, item := range parsed.Items {
		if item.Status != "completed" || item.OutputURL == "" {
			t.Errorf("item %+v", item)
		}
	}
}

func TestHOOK3_SignatureVector(t *testing.T) {
	// RFC 4231, test case 2.
	const mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	body := []byte("what do ya want for nothing?")
	if got := prodvisual.ComputeSignature(body, "Jefe"); got != mac {
		t.Fatalf("signature %s", got)
	}
	at := func(seconds int64) prodvisual.WebhookOption { return prodvisual.WithNow(time.Unix(seconds, 0)) }
	for name, c := range map[string]struct {
		got, want bool
	}{
		"upper case":     {prodvisual.VerifyWebhook(body, strings.ToUpper(mac), "Jefe"), true},
		"sha256= prefix": {prodvisual.VerifyWebhook(body, "sha256="+mac, "Jefe"), true},
		"301 s late":     {prodvisual.VerifyWebhook(body, mac, "Jefe", prodvisual.WithTimestamp("1000"), at(1301)), false},
		"300 s late":     {prodvisual.VerifyWebhook(body, mac, "Jefe", prodvisual.WithTimestamp("1000"), at(1300)), true},
		"no tolerance":   {prodvisual.VerifyWebhook(body, mac, "Jefe", prodvisual.WithTimestamp("1000"), prodvisual.WithTolerance(0), at(99999)), true},
		"not hex":        {prodvisual.VerifyWebhook(body, strings.Repeat("\u00e9", 64), "Jefe"), false},
		"no key":         {prodvisual.VerifyWebhook(body, mac, ""), false},
		"another body":   {prodvisual.VerifyWebhook([]byte("x"), mac, "Jefe"), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: verified %v, want %v", name, c.got, c.want)
		}
	}
}
