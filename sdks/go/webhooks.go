package prodvisual

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook deliveries carry SignatureHeader (the lowercase hex HMAC-SHA256 of the raw request
// body keyed by the API key that made the request), TimestampHeader (the unix time of the
// delivery attempt, checked against a tolerance to refuse replays) and EventIDHeader (the same
// on every retry of a delivery: use it to drop duplicates).
const (
	SignatureHeader = "X-ProdVisual-Signature"
	TimestampHeader = "X-ProdVisual-Timestamp"
	EventIDHeader   = "X-ProdVisual-Event-Id"
	// DefaultWebhookTolerance is how far a delivery's timestamp may be from now.
	DefaultWebhookTolerance = 300 * time.Second
)

// WebhookOption configures VerifyWebhook and ParseWebhook.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	timestamp    string
	hasTimestamp bool
	tolerance    time.Duration
	now          time.Time
}

// WithTimestamp checks the delivery's TimestampHeader too: it must be a number of seconds
// within the tolerance of now (an empty or malformed one does not verify).
func WithTimestamp(timestamp string) WebhookOption {
	return func(w *webhookConfig) { w.timestamp, w.hasTimestamp = timestamp, true }
}

// WithTolerance replaces DefaultWebhookTolerance; zero or less skips the timestamp check.
func WithTolerance(tolerance time.Duration) WebhookOption {
	return func(w *webhookConfig) { w.tolerance = tolerance }
}

// WithNow sets the time the timestamp is checked against (default time.Now()).
func WithNow(now time.Time) WebhookOption { return func(w *webhookConfig) { w.now = now } }

func webhookOptions(options []WebhookOption) webhookConfig {
	config := webhookConfig{tolerance: DefaultWebhookTolerance}
	for _, option := range options {
		option(&config)
	}
	if config.now.IsZero() {
		config.now = time.Now()
	}
	return config
}

// ComputeSignature is the signature the server puts on payload: lowercase hex HMAC-SHA256
// keyed by apiKey.
func ComputeSignature(payload []byte, apiKey string) string {
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write(payload)
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook reports whether signature (the X-ProdVisual-Signature header; "sha256=" and
// upper case are accepted) is the HMAC-SHA256 of the raw payload under apiKey.
//
// Pass the body exactly as received, before any JSON parsing. The comparison takes constant
// time. With WithTimestamp, the X-ProdVisual-Timestamp header must also be within the
// tolerance (300 s) of now.
func VerifyWebhook(payload []byte, signature, apiKey string, options ...WebhookOption) bool {
	config := webhookOptions(options)
	if signature == "" || apiKey == "" {
		return false
	}
	expected := ComputeSignature(payload, apiKey)
	given := strings.ToLower(strings.TrimSpace(signature))
	given = strings.TrimPrefix(given, "sha256=")
	if subtle.ConstantTimeCompare([]byte(expected), []byte(given)) != 1 {
		return false
	}
	if config.hasTimestamp && config.tolerance > 0 {
		sent, err := strconv.ParseFloat(strings.TrimSpace(config.timestamp), 64)
		if err != nil || math.IsNaN(sent) || math.IsInf(sent, 0) {
			return false
		}
		now := float64(config.now.UnixNano()) / float64(time.Second)
		if math.Abs(now-sent) > config.tolerance.Seconds() {
			return false
		}
	}
	return true
}

// ParseWebhook verifies a delivery from its raw body and request headers (signature and
// timestamp), and returns the event. It returns a *WebhookVerificationError when the signature
// is missing or wrong, or the timestamp missing or outside the tolerance.
func ParseWebhook(payload []byte, header http.Header, apiKey string, options ...WebhookOption) (*WebhookEvent, error) {
	config := webhookOptions(options)
	signature, hasSignature := headerValue(header, SignatureHeader)
	timestamp, hasTimestamp := headerValue(header, TimestampHeader)
	if !hasSignature {
		return nil, &WebhookVerificationError{Reason: "the " + SignatureHeader + " header is missing"}
	}
	if config.tolerance > 0 && !hasTimestamp {
		return nil, &WebhookVerificationError{Reason: "the " + TimestampHeader + " header is missing"}
	}
	if !VerifyWebhook(payload, signature, apiKey) {
		return nil, &WebhookVerificationError{Reason: "the signature does not match the body"}
	}
	withTimestamp := append(append([]WebhookOption{}, options...), WithTimestamp(timestamp))
	if config.tolerance > 0 && !VerifyWebhook(payload, signature, apiKey, withTimestamp...) {
		return nil, &WebhookVerificationError{Reason: fmt.Sprintf("the %s is more than %v from now", TimestampHeader, config.tolerance)}
	}
	var document struct {
		Event     string          `json:"event"`
		Data      json.RawMessage `json:"data"`
		Timestamp string          `json:"timestamp"`
	}
	event := &WebhookEvent{}
	if err := decodeInto(payload, &document, &event.Raw); err != nil {
		return nil, &WebhookVerificationError{Reason: "the body is not a JSON object"}
	}
	event.Event, event.Timestamp, event.data = document.Event, document.Timestamp, document.Data
	event.Data, _ = event.Raw["data"].(map[string]any)
	if event.Data == nil {
		event.Data = map[string]any{}
	}
	event.EventID, _ = headerValue(header, EventIDHeader)
	return event, nil
}

// headerValue looks name up in header, also under a spelling other than Go's canonical one.
func headerValue(header http.Header, name string) (string, bool) {
	if values, ok := header[http.CanonicalHeaderKey(name)]; ok && len(values) > 0 {
		return values[0], true
	}
	for key, values := range header {
		if strings.EqualFold(key, name) && len(values) > 0 {
			return values[0], true
		}
	}
	return "", false
}
