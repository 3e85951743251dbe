Explain {topic} to {persona}, in three short paragraphs.
