// Package prodvisual is the Go client for the ProdVisual v1 API: every /v1 endpoint, typed
// results, one error value per API error code, automatic retries, an Idempotency-Key on every
// POST, polling until a job is done, and webhook verification. Standard library only.
//
//	client := prodvisual.NewClient("pv_live_...", prodvisual.WithBaseURL("http://127.0.0.1:8080"))
//	result, err := client.Generate(ctx, prodvisual.GenerateParams{
//		ImageURL: "https://example.com/product.jpg",
//		Style:    "lifestyle",
//		Platform: "amazon",
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	fmt.Println(result.OutputURL, result.CreditsRemaining)
//
// API errors are *Error values (Code, Message, Status) that match the sentinel of their code
// with errors.Is, e.g. errors.Is(err, prodvisual.ErrInsufficientCredits).
package prodvisual
