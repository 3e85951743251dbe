What is {a} * {b}? Show the multiplication, then the result.
