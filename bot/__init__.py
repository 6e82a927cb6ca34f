"""targetbot: a Telegram bot for a city government's annual responsibility targets."""
