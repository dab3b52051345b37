"""The stack's ComponentResources, one concept and one module each; the providers they share
(providers.py), and what several of them use: the location of their Snowflake objects
(location.py), the stream-and-task pair (scheduling.py), the former names of moved resources
(aliases.py)."""
