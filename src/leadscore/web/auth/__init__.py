"""Who uses the web app: workspace users with passwords, sign-in with an API key, server-side
sessions behind a signed cookie, CSRF tokens, and a brake on failed sign-ins."""
