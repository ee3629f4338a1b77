"""Who is asking: password hashing, users, and the bearer-token sessions they log in with."""
