/*
 * A program that ends with an identifier the lexer peeked past: the peek put the end
 * back as a NUL character, which the lexer then meets as one ("end-of-input"), unlike
 * a program that ends after a ";" ("end of input").
 */
int*x
