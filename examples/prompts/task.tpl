Explain {topic}.
