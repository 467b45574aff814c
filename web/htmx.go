package web

// htmx request and response headers.
const (
	htmxRequest  = "HX-Request"
	htmxRedirect = "HX-Redirect"
	htmxTrigger  = "HX-Trigger"
)
