/* main.c - the redis-archiver command line. */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    puts("redis-archiver: not yet");
    return 0;
}
