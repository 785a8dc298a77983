"""The registry change history: every change to a household or member, from any source."""
