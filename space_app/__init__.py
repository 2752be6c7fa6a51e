"""The GlobMed Space: leaderboard, model comparison, submissions and a multilingual chat demo (Gradio 6).

Modules, one job each: `settings` (paths, repo ids, environment), `text` (everything users read),
`display` (columns derived from the language registry and the task list), `leaderboard` (pure result reading,
table building, filtering and sorting), `plots` (plot frames), `results_source` (folder or Hub results),
`submission` (upload checks, pending/approved store), `chat` (local or OpenAI-compatible streaming backends),
`app` (the Gradio layout, built by `create_app`), `cli` (`globmed space`).
"""
