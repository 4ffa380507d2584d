/* onem2m-cse entry point (start-up sequence is built out in cse/core). */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "onem2m-cse: not yet wired\n");
    return 1;
}
