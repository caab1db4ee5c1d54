package prodvisual

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// The account: usage per day (GET /v1/account/usage), its history of generations and batches
// (GET /v1/generations, a page at a time), and its API keys (/v1/keys, live keys only).

// DailyUsage is one UTC day: credits used net of refunds, and generations created.
type DailyUsage struct {
	Date        string `json:"date"`
	CreditsUsed int    `json:"credits_used"`
	Generations int    `json:"generations"`
}

// Usage is GET /v1/account/usage: every day of the period, oldest first, and the totals.
type Usage struct {
	Days        int            `json:"days"`
	From        string         `json:"from"`
	To          string         `json:"to"`
	CreditsUsed int            `json:"credits_used"`
	Generations int            `json:"generations"`
	Data        []DailyUsage   `json:"data"`
	Raw         map[string]any `json:"-"`
}

// Usage is GET /v1/account/usage for the last days days (1-90), today included; days <= 0
// asks for the server's default, 30.
func (c *Client) Usage(ctx context.Context, days int) (*Usage, error) {
	path := "/v1/account/usage"
	if days > 0 {
		path += "?days=" + strconv.Itoa(days)
	}
	usage := &Usage{}
	if err := c.get(ctx, path, usage, &usage.Raw); err != nil {
		return nil, err
	}
	return usage, nil
}

// ListParams pages through a list: Limit (1-100; 0 for the server's 20) entries after the
// entry whose id is StartingAfter (empty for the newest).
type ListParams struct {
	Limit         int
	StartingAfter string
}

// GenerationPage is a page of GET /v1/generations: *Generation and *Batch values, newest first.
type GenerationPage struct {
	Data    []Job
	HasMore bool
	Raw     map[string]any
}

// ListGenerations is GET /v1/generations: one page of the account's generations and batches,
// newest first. While HasMore, the next page starts after the last entry's JobID();
// IterGenerations walks them all.
func (c *Client) ListGenerations(ctx context.Context, params ListParams) (*GenerationPage, error) {
	query := url.Values{}
	if params.Limit > 0 {
		query.Set("limit", strconv.Itoa(params.Limit))
	}
	if params.StartingAfter != "" {
		query.Set("starting_after", params.StartingAfter)
	}
	path := "/v1/generations"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	response, err := c.request(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	var wire struct {
		Data    []json.RawMessage `json:"data"`
		HasMore bool              `json:"has_more"`
	}
	page := &GenerationPage{}
	if err := response.decode(&wire, &page.Raw); err != nil {
		return nil, err
	}
	page.HasMore = wire.HasMore
	for _, entry := range wire.Data {
		var probe map[string]any
		_ = json.Unmarshal(entry, &probe)
		if _, isBatch := probe["batch_id"].(string); isBatch && probe["id"] == nil {
			batch := &Batch{}
			if err := decodeInto(entry, batch, &batch.Raw); err != nil {
				return nil, err
			}
			fillItemsRaw(batch)
			page.Data = append(page.Data, batch)
			continue
		}
		generation := &Generation{}
		if err := decodeInto(entry, generation, &generation.Raw); err != nil {
			return nil, err
		}
		page.Data = append(page.Data, generation)
	}
	return page, nil
}

// GenerationIterator walks the account's generations and batches a page at a time:
//
//	it := client.IterGenerations(ctx, prodvisual.ListParams{Limit: 50})
//	for it.Next() {
//		job := it.Current()
//	}
//	if err := it.Err(); err != nil { ... }
type GenerationIterator struct {
	client  *Client
	ctx     context.Context
	params  ListParams
	page    []Job
	more    bool
	started bool
	current Job
	err     error
}

// IterGenerations returns an iterator over every generation and batch of the account, newest
// first, from params.StartingAfter on, fetching params.Limit entries a page.
func (c *Client) IterGenerations(ctx context.Context, params ListParams) *GenerationIterator {
	return &GenerationIterator{client: c, ctx: ctx, params: params}
}

// Next moves to the next entry, fetching the next page when needed; false at the end or on an
// error (see Err).
func (it *GenerationIterator) Next() bool {
	if it.err != nil {
		return false
	}
	if len(it.page) == 0 {
		if it.started && !it.more {
			return false
		}
		page, err := it.client.ListGenerations(it.ctx, it.params)
		if err != nil {
			it.err = err
			return false
		}
		it.started = true
		it.page, it.more = page.Data, page.HasMore
		if len(it.page) == 0 {
			return false
		}
		it.params.StartingAfter = it.page[len(it.page)-1].JobID()
	}
	it.current, it.page = it.page[0], it.page[1:]
	return true
}

// Current is the entry Next moved to: a *Generation or a *Batch.
func (it *GenerationIterator) Current() Job { return it.current }

// Err is the error that stopped the iteration, if any.
func (it *GenerationIterator) Err() error { return it.err }

// APIKey is one of the account's API keys. Secret is set only on the answer of CreateKey;
// LastUsedAt and RevokedAt are empty when never used or not revoked.
type APIKey struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Mode       string         `json:"mode"`
	Prefix     string         `json:"prefix"`
	Hint       string         `json:"hint"`
	CreatedAt  string         `json:"created_at"`
	LastUsedAt string         `json:"last_used_at"`
	RevokedAt  string         `json:"revoked_at"`
	Secret     string         `json:"secret"`
	Raw        map[string]any `json:"-"`
}

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return k.RevokedAt != "" }

// CreateKeyParams: Mode is "live" (the default when empty) or "test"; Name is optional.
type CreateKeyParams struct {
	Name string
	Mode string
}

// ListKeys is GET /v1/keys: the account's keys, revoked ones included, newest first. A test
// key gets an error matching ErrForbidden.
func (c *Client) ListKeys(ctx context.Context) ([]*APIKey, error) {
	response, err := c.request(ctx, http.MethodGet, "/v1/keys", nil, nil)
	if err != nil {
		return nil, err
	}
	var wire struct {
		Data []json.RawMessage `json:"data"`
	}
	var raw map[string]any
	if err := response.decode(&wire, &raw); err != nil {
		return nil, err
	}
	keys := make([]*APIKey, 0, len(wire.Data))
	for _, entry := range wire.Data {
		key := &APIKey{}
		if err := decodeInto(entry, key, &key.Raw); err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// CreateKey is POST /v1/keys: a new key for the account, its Secret in this answer only. The
// server does not make it idempotent: a retry after a lost answer may create a second key.
func (c *Client) CreateKey(ctx context.Context, params CreateKeyParams) (*APIKey, error) {
	body := map[string]any{"mode": "live"}
	if params.Mode != "" {
		body["mode"] = params.Mode
	}
	if params.Name != "" {
		body["name"] = params.Name
	}
	return c.keyAnswer(c.request(ctx, http.MethodPost, "/v1/keys", body, nil))
}

// RevokeKey is DELETE /v1/keys/{id}: revokes one of the account's keys and returns it.
func (c *Client) RevokeKey(ctx context.Context, id string) (*APIKey, error) {
	return c.keyAnswer(c.request(ctx, http.MethodDelete, "/v1/keys/"+url.PathEscape(id), nil, nil))
}

func (c *Client) keyAnswer(response *response, err error) (*APIKey, error) {
	if err != nil {
		return nil, err
	}
	key := &APIKey{}
	if err := response.decode(key, &key.Raw); err != nil {
		return nil, err
	}
	return key, nil
}
