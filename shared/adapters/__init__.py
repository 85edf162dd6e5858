"""One module per outside system; each translates its SDK's errors into shared.errors."""
