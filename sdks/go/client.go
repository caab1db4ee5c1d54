package prodvisual

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Version is this package's version, sent in the User-Agent.
const Version = "1.0.0"

// DefaultBaseURL is where the client talks without WithBaseURL or PRODVISUAL_BASE_URL.
const DefaultBaseURL = "https://api.prodvisual.com"

// Defaults of the client's options.
const (
	DefaultTimeout      = 120 * time.Second
	DefaultMaxRetries   = 3
	DefaultMaxRetryWait = 60 * time.Second
	DefaultBackoffBase  = 500 * time.Millisecond
	DefaultBackoffMax   = 8 * time.Second
)

// Client is a client for the ProdVisual v1 API; it is safe for concurrent use.
//
// Failed requests are retried up to MaxRetries times: connection errors and time-outs, 409
// (the same Idempotency-Key in flight), 429 and 5xx. A 429's Retry-After is honoured when it
// is at most MaxRetryWait (a longer one returns the error at once); the others back off
// exponentially from BackoffBase up to BackoffMax, with jitter. Every POST carries an
// Idempotency-Key (a new UUID per call unless WithIdempotencyKey gives one), the same on each
// retry, so a retried POST is never charged twice.
type Client struct {
	apiKey       string
	baseURL      string
	rawBaseURL   string
	httpClient   *http.Client
	timeout      time.Duration
	maxRetries   int
	maxRetryWait time.Duration
	backoffBase  time.Duration
	backoffMax   time.Duration
	userAgent    string
	onRetry      func(attempt int, wait time.Duration, err error)
	// err is a configuration error (no API key, a bad base URL), returned by every call.
	err error
}

// Option configures a Client (see NewClient).
type Option func(*Client)

// WithBaseURL is the server's address, e.g. "http://127.0.0.1:8080" (a trailing /v1 is
// accepted). Without it: PRODVISUAL_BASE_URL, then DefaultBaseURL.
func WithBaseURL(baseURL string) Option { return func(c *Client) { c.rawBaseURL = baseURL } }

// WithTimeout bounds each attempt (default 120 s).
func WithTimeout(timeout time.Duration) Option { return func(c *Client) { c.timeout = timeout } }

// WithMaxRetries sets how many times a failed request is retried (default 3; 0 turns retries off).
func WithMaxRetries(n int) Option {
	return func(c *Client) {
		if n < 0 {
			n = 0
		}
		c.maxRetries = n
	}
}

// WithMaxRetryWait is the longest Retry-After a 429 is waited for (default 60 s); a longer
// one (such as the daily window's) returns the error at once.
func WithMaxRetryWait(wait time.Duration) Option { return func(c *Client) { c.maxRetryWait = wait } }

// WithBackoff sets the exponential backoff of retries: from base (default 500 ms) doubling up
// to max (default 8 s), each wait drawn between half and all of it.
func WithBackoff(base, max time.Duration) Option {
	return func(c *Client) { c.backoffBase, c.backoffMax = base, max }
}

// WithHTTPClient sends the requests through client (its Timeout, if any, applies on top of
// WithTimeout). The default client does not follow redirects.
func WithHTTPClient(client *http.Client) Option { return func(c *Client) { c.httpClient = client } }

// WithUserAgent replaces the User-Agent (default prodvisual-go/<Version>).
func WithUserAgent(userAgent string) Option { return func(c *Client) { c.userAgent = userAgent } }

// WithOnRetry calls hook before each retry with the attempt number (from 1), the wait before
// it, and the error that caused it.
func WithOnRetry(hook func(attempt int, wait time.Duration, err error)) Option {
	return func(c *Client) { c.onRetry = hook }
}

// NewClient returns a client for the API key apiKey (empty: the PRODVISUAL_API_KEY
// environment variable). A missing key or a bad base URL is returned by every call.
func NewClient(apiKey string, options ...Option) *Client {
	c := &Client{
		timeout:      DefaultTimeout,
		maxRetries:   DefaultMaxRetries,
		maxRetryWait: DefaultMaxRetryWait,
		backoffBase:  DefaultBackoffBase,
		backoffMax:   DefaultBackoffMax,
		userAgent:    "prodvisual-go/" + Version,
	}
	for _, option := range options {
		option(c)
	}
	c.apiKey = apiKey
	if c.apiKey == "" {
		c.apiKey = os.Getenv("PRODVISUAL_API_KEY")
	}
	if c.apiKey == "" {
		c.err = errors.New("prodvisual: an API key is required: NewClient(key) or PRODVISUAL_API_KEY")
	}
	base := c.rawBaseURL
	if base == "" {
		base = os.Getenv("PRODVISUAL_BASE_URL")
	}
	if base == "" {
		base = DefaultBaseURL
	}
	normalised, err := normaliseBaseURL(base)
	if err != nil && c.err == nil {
		c.err = err
	}
	c.baseURL = normalised
	if c.httpClient == nil {
		// The API never redirects; a redirect (e.g. http to https) must not turn a POST into a GET.
		c.httpClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return c
}

func normaliseBaseURL(base string) (string, error) {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	base = strings.TrimSuffix(base, "/v1")
	parsed, err := url.Parse(base)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return base, fmt.Errorf("prodvisual: the base URL must be an http(s) URL, got %q", base)
	}
	return base, nil
}

// BaseURL is the server's address the client talks to, without /v1.
func (c *Client) BaseURL() string { return c.baseURL }

// Err is the client's configuration error (no API key, a bad base URL), nil when usable.
func (c *Client) Err() error { return c.err }

// String shows the base URL and the start of the key only.
func (c *Client) String() string {
	key := c.apiKey
	if len(key) > 8 {
		key = key[:8]
	}
	return fmt.Sprintf("prodvisual.Client(base_url=%s, api_key=%s…)", c.baseURL, key)
}

// GoString hides the key from %#v as well.
func (c *Client) GoString() string { return c.String() }

// RequestOption configures one call.
type RequestOption func(*requestConfig)

type requestConfig struct {
	idempotencyKey string
}

// WithIdempotencyKey sends key as the POST's Idempotency-Key instead of a new UUID: a repeat
// of the same request with the same key is answered with the first answer, not charged again.
func WithIdempotencyKey(key string) RequestOption {
	return func(r *requestConfig) { r.idempotencyKey = key }
}

// Generate is POST /v1/generate: one product visual.
//
// Without WebhookURL the call renders synchronously and returns the completed Generation
// (OutputURL, CreditsRemaining, ...). With WebhookURL it returns at once with status pending;
// use WaitForCompletion or the webhook.
func (c *Client) Generate(ctx context.Context, params GenerateParams, options ...RequestOption) (*Generation, error) {
	body := params.body()
	if style, ok := body["style"]; !ok || style == "" {
		return nil, errNoStyle
	}
	response, err := c.request(ctx, http.MethodPost, "/v1/generate", body, options)
	if err != nil {
		return nil, err
	}
	generation := &Generation{IdempotentReplayed: response.replayed()}
	if err := response.decode(generation, &generation.Raw); err != nil {
		return nil, err
	}
	return generation, nil
}

// GenerateBatch is POST /v1/generate/batch: up to 50 generations queued as one batch (status
// 202). Returns the Batch: BatchID, Status, TotalItems, CreditsUsed, CreditsRemaining,
// EstimatedTimeMS, ResultsURL and Items. Wait for it with WaitForBatch or WaitForCompletion.
func (c *Client) GenerateBatch(ctx context.Context, params BatchParams, options ...RequestOption) (*Batch, error) {
	items := make([]map[string]any, len(params.Items))
	for i, item := range params.Items {
		items[i] = item.body()
	}
	body := map[string]any{"items": items}
	if params.WebhookURL != "" {
		body["webhook_url"] = params.WebhookURL
	}
	response, err := c.request(ctx, http.MethodPost, "/v1/generate/batch", body, options)
	if err != nil {
		return nil, err
	}
	batch := &Batch{IdempotentReplayed: response.replayed()}
	if err := response.decode(batch, &batch.Raw); err != nil {
		return nil, err
	}
	fillItemsRaw(batch)
	return batch, nil
}

// Styles is GET /v1/styles: every style, with the parameters it uses and its scenes.
func (c *Client) Styles(ctx context.Context) (*StyleList, error) {
	list := &StyleList{}
	if err := c.get(ctx, "/v1/styles", list, &list.Raw); err != nil {
		return nil, err
	}
	fillStylesRaw(list)
	return list, nil
}

// Platforms is GET /v1/platforms: the platform presets (size, fill, background rule, formats).
func (c *Client) Platforms(ctx context.Context) (*PlatformList, error) {
	list := &PlatformList{}
	if err := c.get(ctx, "/v1/platforms", list, &list.Raw); err != nil {
		return nil, err
	}
	fillPlatformsRaw(list)
	return list, nil
}

// Credits is GET /v1/account/credits: balance, usage in total and today, last purchase.
func (c *Client) Credits(ctx context.Context) (*Credits, error) {
	credits := &Credits{}
	if err := c.get(ctx, "/v1/account/credits", credits, &credits.Raw); err != nil {
		return nil, err
	}
	return credits, nil
}

// Get is GET /v1/generations/{id}: a *Generation for a generation id (gen_...), a *Batch for
// a batch id (batch_...).
func (c *Client) Get(ctx context.Context, id string) (Job, error) {
	response, err := c.request(ctx, http.MethodGet, "/v1/generations/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return nil, err
	}
	var probe map[string]any
	_ = json.Unmarshal(response.body, &probe)
	if _, isBatch := probe["batch_id"].(string); isBatch && probe["id"] == nil {
		batch := &Batch{}
		if err := response.decode(batch, &batch.Raw); err != nil {
			return nil, err
		}
		fillItemsRaw(batch)
		return batch, nil
	}
	generation := &Generation{}
	if err := response.decode(generation, &generation.Raw); err != nil {
		return nil, err
	}
	return generation, nil
}

// GetGeneration is GET /v1/generations/{id} for a generation id (gen_...).
func (c *Client) GetGeneration(ctx context.Context, id string) (*Generation, error) {
	job, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	generation, ok := job.(*Generation)
	if !ok {
		return nil, fmt.Errorf("prodvisual: %s is a batch, not a generation: use GetBatch", id)
	}
	return generation, nil
}

// GetBatch is GET /v1/generations/{batch_id} for a batch id (batch_...).
func (c *Client) GetBatch(ctx context.Context, batchID string) (*Batch, error) {
	job, err := c.Get(ctx, batchID)
	if err != nil {
		return nil, err
	}
	batch, ok := job.(*Batch)
	if !ok {
		return nil, fmt.Errorf("prodvisual: %s is a generation, not a batch: use GetGeneration", batchID)
	}
	return batch, nil
}

// WaitOptions bound WaitForCompletion: Timeout (default 300 s) and PollInterval (default 1 s).
type WaitOptions struct {
	Timeout      time.Duration
	PollInterval time.Duration
}

// WaitForCompletion polls GET /v1/generations/{id} until the generation or batch is completed
// or failed, and returns it (a failed one is returned, not an error: see its Error field).
// After opts.Timeout it returns a *WaitTimeoutError whose Last is the last status read.
func (c *Client) WaitForCompletion(ctx context.Context, id string, opts WaitOptions) (Job, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 300 * time.Second
	}
	interval := opts.PollInterval
	if interval <= 0 {
		interval = time.Second
	}
	if interval < 10*time.Millisecond {
		interval = 10 * time.Millisecond
	}
	deadline := time.Now().Add(timeout)
	var last Job
	for {
		job, err := c.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		last = job
		if last.Done() {
			return last, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, &WaitTimeoutError{ID: id, Timeout: timeout, Last: last}
		}
		if interval < left {
			left = interval
		}
		if err := sleep(ctx, left); err != nil {
			return nil, err
		}
	}
}

// WaitForGeneration is WaitForCompletion for a generation id.
func (c *Client) WaitForGeneration(ctx context.Context, id string, opts WaitOptions) (*Generation, error) {
	job, err := c.WaitForCompletion(ctx, id, opts)
	if err != nil {
		return nil, err
	}
	generation, ok := job.(*Generation)
	if !ok {
		return nil, fmt.Errorf("prodvisual: %s is a batch, not a generation: use WaitForBatch", id)
	}
	return generation, nil
}

// WaitForBatch is WaitForCompletion for a batch id.
func (c *Client) WaitForBatch(ctx context.Context, batchID string, opts WaitOptions) (*Batch, error) {
	job, err := c.WaitForCompletion(ctx, batchID, opts)
	if err != nil {
		return nil, err
	}
	batch, ok := job.(*Batch)
	if !ok {
		return nil, fmt.Errorf("prodvisual: %s is a generation, not a batch: use WaitForGeneration", batchID)
	}
	return batch, nil
}

// Download is the rendered image's bytes, from a Generation's OutputURL (a signed link).
func (c *Client) Download(ctx context.Context, outputURL string) ([]byte, error) {
	if outputURL == "" {
		return nil, errors.New("prodvisual: no output URL (the generation is not completed, or its output expired)")
	}
	response, err := c.request(ctx, http.MethodGet, outputURL, nil, nil)
	if err != nil {
		return nil, err
	}
	return response.body, nil
}

// MARK: Transport

// RetryableStatuses are the answers worth another attempt: 409 (the same Idempotency-Key is
// still in flight), 429 and 5xx.
var RetryableStatuses = map[int]bool{409: true, 429: true, 500: true, 502: true, 503: true, 504: true}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) replayed() bool {
	return strings.EqualFold(r.header.Get("Idempotent-Replayed"), "true")
}

func (r *response) decode(v any, raw *map[string]any) error {
	if err := decodeInto(r.body, v, raw); err != nil {
		excerpt := r.body
		if len(excerpt) > 200 {
			excerpt = excerpt[:200]
		}
		return &Error{
			Code: "invalid_response", Message: fmt.Sprintf("expected a JSON object (%v), got %q", err, excerpt),
			Status: r.status, Header: r.header, Body: r.body,
		}
	}
	return nil
}

func (c *Client) get(ctx context.Context, path string, v any, raw *map[string]any) error {
	response, err := c.request(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	return response.decode(v, raw)
}

func (c *Client) request(ctx context.Context, method, pathOrURL string, body map[string]any, options []RequestOption) (*response, error) {
	if c.err != nil {
		return nil, c.err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var config requestConfig
	for _, option := range options {
		option(&config)
	}
	target := pathOrURL
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		target = c.baseURL + pathOrURL
	}
	header := http.Header{}
	header.Set("Accept", "application/json")
	header.Set("User-Agent", c.userAgent)
	if strings.HasPrefix(target, c.baseURL+"/") {
		// The key goes to this API only, never to another host an output URL may name.
		header.Set("Authorization", "Bearer "+c.apiKey)
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = canonicalJSON(body); err != nil {
			return nil, fmt.Errorf("prodvisual: encoding the request: %w", err)
		}
		header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost {
		// One key for the whole call: every retry is the same request to the server.
		key := config.idempotencyKey
		if key == "" {
			key = newUUID()
		}
		header.Set("Idempotency-Key", key)
	}

	for attempt := 0; ; {
		reply, err := c.send(ctx, method, target, header, payload)
		var failure error
		var wait time.Duration
		retry := false
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failure = &ConnectionError{Method: method, URL: target, Err: err}
			if attempt < c.maxRetries {
				wait, retry = c.backoff(attempt), true
			}
		} else if reply.status < 400 {
			return reply, nil
		} else {
			apiErr := errorFromResponse(reply.status, reply.header, reply.body)
			failure = apiErr
			wait, retry = c.retryWait(apiErr, attempt)
		}
		if !retry {
			return nil, failure
		}
		attempt++
		if c.onRetry != nil {
			c.onRetry(attempt, wait, failure)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *Client) send(ctx context.Context, method, target string, header http.Header, payload []byte) (*response, error) {
	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var reader io.Reader
	if payload != nil {
		reader = bytes.NewReader(payload)
	}
	request, err := http.NewRequestWithContext(attemptCtx, method, target, reader)
	if err != nil {
		return nil, err
	}
	request.Header = header.Clone()
	reply, err := c.httpClient.Do(request)
	if err != nil {
		return nil, err
	}
	defer reply.Body.Close()
	body, err := io.ReadAll(reply.Body)
	if err != nil {
		return nil, err
	}
	return &response{status: reply.StatusCode, header: reply.Header, body: body}, nil
}

// retryWait is the wait before retrying after err, and whether to retry at all.
func (c *Client) retryWait(err *Error, attempt int) (time.Duration, bool) {
	if attempt >= c.maxRetries || !RetryableStatuses[err.Status] {
		return 0, false
	}
	if retryAfter, ok := err.RetryAfter(); ok {
		if retryAfter > c.maxRetryWait {
			return 0, false
		}
		// At least what the server asked, plus a little jitter so clients do not stampede.
		spread := retryAfter/10 + 50*time.Millisecond
		if spread > 250*time.Millisecond {
			spread = 250 * time.Millisecond
		}
		return retryAfter + time.Duration(uniform(0, float64(spread))), true
	}
	if err.Code == ErrRateLimited.Code {
		// No Retry-After: wait until X-RateLimit-Reset when it is near, else back off.
		if reset, ok := err.Reset(); ok {
			if until := time.Until(reset); until > 0 && until <= c.maxRetryWait {
				return until + time.Duration(uniform(0, float64(250*time.Millisecond))), true
			}
		}
	}
	return c.backoff(attempt), true
}

func (c *Client) backoff(attempt int) time.Duration {
	ceiling := float64(c.backoffBase) * float64(uint64(1)<<uint(minInt(attempt, 30)))
	if ceiling > float64(c.backoffMax) {
		ceiling = float64(c.backoffMax)
	}
	return time.Duration(ceiling * uniform(0.5, 1.0))
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// canonicalJSON encodes v with sorted object keys (encoding/json sorts map keys): the same
// request is the same bytes, which is how the server recognises a repeated Idempotency-Key.
func canonicalJSON(v any) ([]byte, error) {
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buffer.Bytes(), []byte("\n")), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

var jitter = struct {
	sync.Mutex
	source *mathrand.Rand
}{source: mathrand.New(mathrand.NewSource(time.Now().UnixNano()))}

func uniform(low, high float64) float64 {
	jitter.Lock()
	defer jitter.Unlock()
	return low + (high-low)*jitter.source.Float64()
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on Linux; fall back to the clock and math/rand anyway.
		for i := range b {
			b[i] = byte(uniform(0, 256))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
