package prodvisual

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is an error answered by the API (an HTTP status of 400 or more): Code, Message and
// Status are the fields of its {"error": {"code", "message", "status"}} envelope. Header holds
// the response headers and Body the raw response body.
//
// An *Error matches the sentinel of its code with errors.Is (errors.Is(err,
// ErrInsufficientCredits)); errors.As(err, &apiErr) gives the details.
type Error struct {
	Code    string
	Message string
	Status  int
	Header  http.Header
	Body    []byte
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("prodvisual: %s (%d): %s", e.Code, e.Status, e.Message)
	}
	return fmt.Sprintf("prodvisual: %s: %s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same Code: the sentinels below, or another
// API error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	// ErrForbidden shares unauthorized's code and is told apart by its status.
	return ok && t != nil && t.Code == e.Code && (t != ErrForbidden || e.Status == 403)
}

// RetryAfter is the wait the server asked for (the Retry-After header, delta-seconds or an
// HTTP date), if any.
func (e *Error) RetryAfter() (time.Duration, bool) {
	return parseRetryAfter(e.Header.Get("Retry-After"), time.Now())
}

// Limit is the X-RateLimit-Limit header: requests allowed per window.
func (e *Error) Limit() (int, bool) { return headerInt(e.Header, "X-RateLimit-Limit") }

// Remaining is the X-RateLimit-Remaining header: requests left in the window.
func (e *Error) Remaining() (int, bool) { return headerInt(e.Header, "X-RateLimit-Remaining") }

// Reset is the X-RateLimit-Reset header: when the window resets.
func (e *Error) Reset() (time.Time, bool) {
	seconds, ok := headerInt(e.Header, "X-RateLimit-Reset")
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(seconds), 0), true
}

// The API's error codes, one sentinel each, for errors.Is.
var (
	// ErrInvalidRequest: 400 invalid_request, a parameter is missing or invalid (the message names it).
	ErrInvalidRequest = &Error{Code: "invalid_request", Status: 400, Message: "missing or invalid parameters"}
	// ErrUnauthorized: 401 unauthorized, the API key is missing, malformed, unknown or revoked.
	ErrUnauthorized = &Error{Code: "unauthorized", Status: 401, Message: "invalid or missing API key"}
	// ErrForbidden: 403 with the code unauthorized, a valid key that may not do this (a test key
	// managing API keys). errors.Is(err, ErrUnauthorized) holds for it too.
	ErrForbidden = &Error{Code: "unauthorized", Status: 403, Message: "this key may not do this"}
	// ErrInsufficientCredits: 402 insufficient_credits, the balance cannot cover the request; nothing was charged.
	ErrInsufficientCredits = &Error{Code: "insufficient_credits", Status: 402, Message: "no credits remaining"}
	// ErrNotFound: 404 not_found, no such generation or batch (or not this key's account).
	ErrNotFound = &Error{Code: "not_found", Status: 404, Message: "resource not found"}
	// ErrConflict: 409 conflict, a request with the same Idempotency-Key is still being processed.
	ErrConflict = &Error{Code: "conflict", Status: 409, Message: "the same Idempotency-Key is in flight"}
	// ErrFileTooLarge: 413 file_too_large, the source image exceeds 10 MB.
	ErrFileTooLarge = &Error{Code: "file_too_large", Status: 413, Message: "the image exceeds 10 MB"}
	// ErrInvalidImage: 422 invalid_image, the source is not a JPEG, PNG or WebP image, or has too many pixels.
	ErrInvalidImage = &Error{Code: "invalid_image", Status: 422, Message: "image format not supported"}
	// ErrRateLimited: 429 rate_limited, too many requests in the current window (see RetryAfter, Limit, Remaining, Reset).
	ErrRateLimited = &Error{Code: "rate_limited", Status: 429, Message: "too many requests"}
	// ErrServerError: 500 server_error (or any other 5xx), the server failed; the request may be retried.
	ErrServerError = &Error{Code: "server_error", Status: 500, Message: "internal server error"}
)

var sentinelsByCode = map[string]*Error{}
var codesByStatus = map[int]string{}

func init() {
	for _, sentinel := range []*Error{
		ErrInvalidRequest, ErrUnauthorized, ErrInsufficientCredits, ErrNotFound, ErrConflict,
		ErrFileTooLarge, ErrInvalidImage, ErrRateLimited, ErrServerError,
	} {
		sentinelsByCode[sentinel.Code] = sentinel
		codesByStatus[sentinel.Status] = sentinel.Code
	}
}

// errorFromResponse is the *Error of an error response: its envelope's code, else the code of
// its HTTP status (server_error for any 5xx), else "error".
func errorFromResponse(status int, header http.Header, body []byte) *Error {
	var envelope struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	code, message := "", ""
	if json.Unmarshal(body, &envelope) == nil && envelope.Error != nil {
		code, message = envelope.Error.Code, envelope.Error.Message
	}
	if code == "" {
		code = codesByStatus[status]
		if code == "" && status >= 500 {
			code = ErrServerError.Code
		}
		if code == "" {
			code = "error"
		}
	}
	if message == "" {
		message = fmt.Sprintf("HTTP %d", status)
	}
	return &Error{Code: code, Message: message, Status: status, Header: header, Body: body}
}

// ErrConnection matches every *ConnectionError with errors.Is.
var ErrConnection = errors.New("prodvisual: connection error")

// ConnectionError: the API could not be reached, or did not answer within the client's
// time-out, after every retry. Err is the transport's error.
type ConnectionError struct {
	Method string
	URL    string
	Err    error
}

func (e *ConnectionError) Error() string {
	return fmt.Sprintf("prodvisual: connection error: %s %s: %v", e.Method, e.URL, e.Err)
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// Is matches ErrConnection.
func (e *ConnectionError) Is(target error) bool { return target == ErrConnection }

// ErrWaitTimeout matches every *WaitTimeoutError with errors.Is.
var ErrWaitTimeout = errors.New("prodvisual: wait timed out")

// WaitTimeoutError: WaitForCompletion gave up before the generation or batch finished. Last is
// the last status read (a *Generation or a *Batch), nil if none could be read.
type WaitTimeoutError struct {
	ID      string
	Timeout time.Duration
	Last    Job
}

func (e *WaitTimeoutError) Error() string {
	status := "unknown"
	if e.Last != nil {
		status = e.Last.JobStatus()
	}
	return fmt.Sprintf("prodvisual: %s was still %s after %v", e.ID, status, e.Timeout)
}

// Is matches ErrWaitTimeout.
func (e *WaitTimeoutError) Is(target error) bool { return target == ErrWaitTimeout }

// ErrWebhookVerification matches every *WebhookVerificationError with errors.Is.
var ErrWebhookVerification = errors.New("prodvisual: webhook verification failed")

// WebhookVerificationError: a webhook's signature or timestamp did not verify (returned by
// ParseWebhook).
type WebhookVerificationError struct {
	Reason string
}

func (e *WebhookVerificationError) Error() string {
	return "prodvisual: webhook verification failed: " + e.Reason
}

// Is matches ErrWebhookVerification.
func (e *WebhookVerificationError) Is(target error) bool { return target == ErrWebhookVerification }

// parseRetryAfter reads Retry-After as a wait: delta-seconds or an HTTP date.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseFloat(value, 64); err == nil {
		if math.IsNaN(seconds) || math.IsInf(seconds, 0) {
			return 0, false
		}
		if seconds < 0 {
			seconds = 0
		}
		return time.Duration(seconds * float64(time.Second)), true
	}
	when, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	wait := when.Sub(now)
	if wait < 0 {
		wait = 0
	}
	return wait, true
}

func headerInt(header http.Header, name string) (int, bool) {
	value := strings.TrimSpace(header.Get(name))
	if value == "" {
		return 0, false
	}
	number, err := strconv.Atoi(value)
	if err != nil {
		return 0, false
	}
	return number, true
}
