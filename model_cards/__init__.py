"""Dataset, model and Space cards: typed metadata (huggingface_hub card data) plus a Markdown body rendered from
the Jinja templates in `templates/`, checked after writing (front matter parses, numbers match the results)."""
