Write a quiz of {n} questions about {topic} for {persona}.
Give the answers at the end, as {{"answers": [...]}}.
