package prodvisual

import (
	"encoding/json"
	"errors"
	"strings"
	"time"
)

var errNotObject = errors.New("not a JSON object")

// Typed results, with the API document's field names in Go's spelling (output_url is
// OutputURL). A field the answer leaves out, or sends as null, is its zero value; Has tells
// them apart, and Raw keeps the decoded JSON, so fields this version does not know yet are
// still reachable.

// Job is what WaitForCompletion and Get return: a *Generation or a *Batch.
type Job interface {
	// JobID is the generation's id (gen_...) or the batch's batch_id (batch_...).
	JobID() string
	// JobStatus is pending, processing, completed or failed.
	JobStatus() string
	// Done reports whether the status is completed or failed, after which it no longer changes.
	Done() bool
}

func terminal(status string) bool { return status == "completed" || status == "failed" }

// GenerationError says why a generation failed: Code and Message, as in the API's error envelope.
type GenerationError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Generation is one generation: the answer of Generate, an item of a batch, or a look-up.
//
// CreditsRemaining is only set on the answer of the call that spent the credit (Has
// ("credits_remaining") tells); OutputURL is empty until the generation completes, and after
// the output expires.
type Generation struct {
	ID               string           `json:"id"`
	Status           string           `json:"status"`
	OutputURL        string           `json:"output_url"`
	Style            string           `json:"style"`
	Platform         string           `json:"platform"`
	Dimensions       string           `json:"dimensions"`
	Format           string           `json:"format"`
	FileSize         int64            `json:"file_size"`
	CreditsUsed      int              `json:"credits_used"`
	CreditsRemaining int              `json:"credits_remaining"`
	GenerationTimeMS int64            `json:"generation_time_ms"`
	CreatedAt        time.Time        `json:"created_at"`
	ExpiresAt        time.Time        `json:"expires_at"`
	Error            *GenerationError `json:"error"`
	Compliance       map[string]any   `json:"compliance"`
	BatchID          string           `json:"batch_id"`
	Webhook          map[string]any   `json:"webhook"`
	// IdempotentReplayed is true when the server replayed the first answer to this
	// Idempotency-Key (the Idempotent-Replayed header).
	IdempotentReplayed bool `json:"-"`
	// Raw is the JSON object as received.
	Raw map[string]any `json:"-"`
}

// JobID is the generation's id.
func (g *Generation) JobID() string { return g.ID }

// JobStatus is the generation's status.
func (g *Generation) JobStatus() string { return g.Status }

// Done reports whether the status is completed or failed.
func (g *Generation) Done() bool { return terminal(g.Status) }

// Has reports whether the answer had field (a JSON name, e.g. "credits_remaining") and it was
// not null.
func (g *Generation) Has(field string) bool { return has(g.Raw, field) }

// Batch is a batch: the answer of GenerateBatch or a look-up of its BatchID.
//
// CreditsRemaining and EstimatedTimeMS are only in the answer of GenerateBatch;
// CompletedItems and FailedItems count finished items; Items are in request order.
type Batch struct {
	BatchID          string         `json:"batch_id"`
	Status           string         `json:"status"`
	TotalItems       int            `json:"total_items"`
	CompletedItems   int            `json:"completed_items"`
	FailedItems      int            `json:"failed_items"`
	CreditsUsed      int            `json:"credits_used"`
	CreditsRemaining int            `json:"credits_remaining"`
	EstimatedTimeMS  int64          `json:"estimated_time_ms"`
	ResultsURL       string         `json:"results_url"`
	CreatedAt        time.Time      `json:"created_at"`
	CompletedAt      time.Time      `json:"completed_at"`
	Items            []*Generation  `json:"items"`
	Webhook          map[string]any `json:"webhook"`
	// IdempotentReplayed is true when the server replayed the first answer to this Idempotency-Key.
	IdempotentReplayed bool `json:"-"`
	// Raw is the JSON object as received.
	Raw map[string]any `json:"-"`
}

// ID is the batch id (batch_...), which Get, GetBatch and WaitForCompletion take.
func (b *Batch) ID() string { return b.BatchID }

// JobID is the batch id.
func (b *Batch) JobID() string { return b.BatchID }

// JobStatus is the batch's status.
func (b *Batch) JobStatus() string { return b.Status }

// Done reports whether the status is completed or failed.
func (b *Batch) Done() bool { return terminal(b.Status) }

// Has reports whether the answer had field (a JSON name) and it was not null.
func (b *Batch) Has(field string) bool { return has(b.Raw, field) }

// Style is one visual style of GET /v1/styles.
type Style struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Parameters the style uses (e.g. scene, text.headline).
	Parameters []string `json:"parameters"`
	// Requires lists fields it cannot render without; one of them suffices.
	Requires []string `json:"requires"`
	// Scenes are the named variants accepted by GenerateParams.Scene; nil for styles without scenes.
	Scenes []string       `json:"scenes"`
	Raw    map[string]any `json:"-"`
}

// StyleList is GET /v1/styles: Styles and their Total.
type StyleList struct {
	Styles []Style        `json:"styles"`
	Total  int            `json:"total"`
	Raw    map[string]any `json:"-"`
}

// IDs are the styles' ids, in the server's order.
func (l *StyleList) IDs() []string {
	ids := make([]string, len(l.Styles))
	for i, style := range l.Styles {
		ids[i] = style.ID
	}
	return ids
}

// Find is the style with id, or nil.
func (l *StyleList) Find(id string) *Style {
	for i := range l.Styles {
		if l.Styles[i].ID == id {
			return &l.Styles[i]
		}
	}
	return nil
}

// Platform is a platform preset of GET /v1/platforms: size, fill, background rule, formats.
type Platform struct {
	ID                string         `json:"id"`
	Name              string         `json:"name"`
	DefaultDimensions string         `json:"default_dimensions"`
	ProductFill       float64        `json:"product_fill"`
	Background        string         `json:"background"`
	DefaultFormat     string         `json:"default_format"`
	Formats           []string       `json:"formats"`
	MaxFileSize       int64          `json:"max_file_size"`
	MinLongestSide    int            `json:"min_longest_side"`
	Raw               map[string]any `json:"-"`
}

// PlatformList is GET /v1/platforms.
type PlatformList struct {
	Platforms []Platform     `json:"platforms"`
	Total     int            `json:"total"`
	Raw       map[string]any `json:"-"`
}

// Find is the platform with id, or nil.
func (l *PlatformList) Find(id string) *Platform {
	for i := range l.Platforms {
		if l.Platforms[i].ID == id {
			return &l.Platforms[i]
		}
	}
	return nil
}

// Purchase is the account's last credit purchase.
type Purchase struct {
	Amount int       `json:"amount"`
	Date   time.Time `json:"date"`
}

// Credits is the account's balance and usage: GET /v1/account/credits.
type Credits struct {
	CreditsRemaining int            `json:"credits_remaining"`
	CreditsUsedTotal int            `json:"credits_used_total"`
	CreditsUsedToday int            `json:"credits_used_today"`
	LastPurchase     *Purchase      `json:"last_purchase"`
	Raw              map[string]any `json:"-"`
}

// WebhookEvent is a verified webhook delivery: Event (generation.completed,
// generation.failed, batch.completed), its Data and Timestamp, and the delivery's EventID
// (the X-ProdVisual-Event-Id header, the same on every retry of a delivery).
type WebhookEvent struct {
	Event     string
	Data      map[string]any
	Timestamp string
	EventID   string
	Raw       map[string]any
	data      json.RawMessage
}

// Generation is Data as a *Generation for generation.* events, else nil.
func (e *WebhookEvent) Generation() *Generation {
	if !strings.HasPrefix(e.Event, "generation.") {
		return nil
	}
	generation := &Generation{}
	if decodeInto(e.data, generation, &generation.Raw) != nil {
		return nil
	}
	return generation
}

// Batch is Data as a *Batch for batch.* events, else nil.
func (e *WebhookEvent) Batch() *Batch {
	if !strings.HasPrefix(e.Event, "batch.") {
		return nil
	}
	batch := &Batch{}
	if decodeInto(e.data, batch, &batch.Raw) != nil {
		return nil
	}
	fillItemsRaw(batch)
	return batch
}

func has(raw map[string]any, field string) bool {
	value, ok := raw[field]
	return ok && value != nil
}

// decodeInto decodes a JSON object into v and into *raw.
func decodeInto(body []byte, v any, raw *map[string]any) error {
	if err := json.Unmarshal(body, raw); err != nil {
		return err
	}
	if *raw == nil {
		return errNotObject
	}
	return json.Unmarshal(body, v)
}

// fillItemsRaw gives each item of a batch its own Raw.
func fillItemsRaw(batch *Batch) {
	items, _ := batch.Raw["items"].([]any)
	for i, item := range batch.Items {
		if i < len(items) && item != nil {
			item.Raw, _ = items[i].(map[string]any)
		}
	}
}

func fillStylesRaw(list *StyleList) {
	styles, _ := list.Raw["styles"].([]any)
	for i := range list.Styles {
		if i < len(styles) {
			list.Styles[i].Raw, _ = styles[i].(map[string]any)
		}
	}
}

func fillPlatformsRaw(list *PlatformList) {
	platforms, _ := list.Raw["platforms"].([]any)
	for i := range list.Platforms {
		if i < len(platforms) {
			list.Platforms[i].Raw, _ = platforms[i].(map[string]any)
		}
	}
}
