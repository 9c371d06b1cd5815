"""The labelled corpora of real subject lines and messages, and the code that reads them."""
