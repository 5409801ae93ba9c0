/* cmd_config.c - `config`: the settings in force and where each came from, as a config file or JSON. */
#include <stdio.h>

#include "command/cli.h"
#include "command/output.h"

int ra_cmd_config(ra_app *app, const ra_args *args, ra_err *err) {
    (void)err;
    if (ra_args_at(args, "--json") > 0) {
        ra_output_config_json(stdout, app->config);
    } else {
        ra_config_print(app->config, stdout);
        char creds[640]; /* the source only, never a secret */
        ra_s3_credentials_describe(app->config->region, creds, sizeof(creds));
        printf("# credentials: %s\n", creds);
    }
    return 0;
}
