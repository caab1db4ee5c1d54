package prodvisual

import (
	"encoding/base64"
	"errors"
)

// GenerateParams are the parameters of POST /v1/generate (and of each batch item). Empty
// fields are not sent: the server's defaults apply.
type GenerateParams struct {
	// The source: ImageURL, or ImageBase64, or Image (the file's bytes, sent inline as base64).
	ImageURL    string
	ImageBase64 string
	Image       []byte

	// Style is required: an id of Styles (lifestyle, white_bg, mockup, ...).
	Style string
	// Platform is a preset of Platforms (amazon, ebay, etsy, shopify, generic).
	Platform string
	// Dimensions is the output size, WxH (e.g. "1500x1500").
	Dimensions string
	// Background is a hex colour (#ffffff) or "transparent", for styles with a plain background.
	Background string
	// Format is png, jpeg or webp.
	Format string
	// Quality is the JPEG/WebP quality, 1-100 (0: the server's default).
	Quality int
	// WebhookURL makes the call asynchronous: it returns at once with status pending, and the
	// result is POSTed there (see VerifyWebhook).
	WebhookURL string
	// Text holds the words of text-bearing styles (infographic, hero_banner, ...).
	Text *Text
	// Scene is a named variant of a scene style (Style.Scenes).
	Scene string
	// Seed: same seed, same image (nil: derived from the source image). See Int.
	Seed *int
	// CompareStyle is the style shown beside the original by the comparison style.
	CompareStyle string
	// Colors are hex colours for color_variants.
	Colors []string
	// Extra fields are sent as they are (JSON names), over the fields above.
	Extra map[string]any
}

// Text holds the words of text-bearing styles.
type Text struct {
	Headline    string   `json:"headline,omitempty"`
	Subheadline string   `json:"subheadline,omitempty"`
	Features    []string `json:"features,omitempty"`
	Badge       string   `json:"badge,omitempty"`
	WidthLabel  string   `json:"width_label,omitempty"`
	HeightLabel string   `json:"height_label,omitempty"`
}

// BatchParams are the parameters of POST /v1/generate/batch: up to 50 Items, and a WebhookURL
// for the batch.completed event.
type BatchParams struct {
	Items      []GenerateParams
	WebhookURL string
}

// Int returns a pointer to v, for GenerateParams.Seed.
func Int(v int) *int { return &v }

// body is the JSON object the params are sent as.
func (p GenerateParams) body() map[string]any {
	body := map[string]any{}
	set := func(name, value string) {
		if value != "" {
			body[name] = value
		}
	}
	set("image_url", p.ImageURL)
	set("image_base64", p.ImageBase64)
	if p.Image != nil {
		body["image_base64"] = base64.StdEncoding.EncodeToString(p.Image)
	}
	set("style", p.Style)
	set("platform", p.Platform)
	set("dimensions", p.Dimensions)
	set("background", p.Background)
	set("format", p.Format)
	if p.Quality != 0 {
		body["quality"] = p.Quality
	}
	set("webhook_url", p.WebhookURL)
	if p.Text != nil {
		body["text"] = p.Text
	}
	set("scene", p.Scene)
	if p.Seed != nil {
		body["seed"] = *p.Seed
	}
	set("compare_style", p.CompareStyle)
	if p.Colors != nil {
		body["colors"] = p.Colors
	}
	for name, value := range p.Extra {
		body[name] = value
	}
	return body
}

var errNoStyle = errors.New(`prodvisual: Generate needs a Style, e.g. "white_bg"`)
