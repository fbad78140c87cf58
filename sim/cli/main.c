#include <stdio.h>
int main(void) { puts("dsim"); return 0; }
