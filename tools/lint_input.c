/*
 * Reading k8s-cors-lint's inputs. The httpd reader knows httpd's syntax
 * (continuation lines, quoting as ap_getword_conf does it, sections,
 * Include) but gives meaning only to K8sCors directives, through the same
 * cors_directive_apply the module uses.
 */
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <yaml.h>

#include "lint_input.h"

#define MAX_INCLUDE_DEPTH 16

/* ---- httpd configuration --------------------------------------------------------- */

typedef struct {
    apr_pool_t *pool;
    lint_config *out;
    const char *server_root;
    /* The stack of open sections: httpd sections (NULL for a transparent
     * one such as <IfModule>) and at most one origin section. */
    lint_section *stack[64];
    const char *stack_names[64]; /* "<Location", ... as opened */
    int depth;
    cors_origin_section origin_section; /* its opener is NULL outside one */
} reader;

static lint_section *current(reader *rd)
{
    for (int i = rd->depth - 1; i >= 0; i--)
        if (rd->stack[i] != NULL)
            return rd->stack[i];
    return APR_ARRAY_IDX(rd->out->sections, 0, lint_section *);
}

static const lint_section *server_of(reader *rd)
{
    lint_section *s = current(rd);
    return s->kind == SECTION_SERVER || s->kind == SECTION_VHOST ? s : s->parent;
}

static void fail(reader *rd, const char *source, const char *message)
{
    if (rd->out->error == NULL)
        rd->out->error = apr_psprintf(rd->pool, "%s: %s", source, message);
}

static void read_file(reader *rd, const char *path, int depth);

static void include(reader *rd, const char *pattern, int optional, const char *source, int depth)
{
    glob_t found;
    const char *full = pattern;
    if (pattern[0] != '/' && rd->server_root != NULL)
        full = apr_pstrcat(rd->pool, rd->server_root, "/", pattern, NULL);
    if (glob(full, 0, NULL, &found) != 0) {
        if (!optional && strpbrk(pattern, "*?[") == NULL)
            fail(rd, source, apr_psprintf(rd->pool, "Include: cannot open %s", full));
        return;
    }
    for (size_t i = 0; i < found.gl_pathc; i++)
        read_file(rd, apr_pstrdup(rd->pool, found.gl_pathv[i]), depth + 1);
    globfree(&found);
}

static void open_section(reader *rd, const char *name, const char *args, const char *source)
{
    lint_section *section = NULL;
    if (rd->depth == (int)(sizeof(rd->stack) / sizeof(rd->stack[0]))) {
        fail(rd, source, "sections nested too deeply");
        return;
    }
    if (cors_origin_section_is(name) || rd->origin_section.opener != NULL) {
        const char *error =
            cors_origin_section_open(rd->pool, &rd->origin_section, name, args, source);
        if (error != NULL)
            fail(rd, source, error);
        return; /* not on the stack: the core keeps it */
    } else if (strcasecmp(name, "<VirtualHost") == 0 || strcasecmp(name, "<Location") == 0 ||
               strcasecmp(name, "<LocationMatch") == 0 || strcasecmp(name, "<Directory") == 0 ||
               strcasecmp(name, "<DirectoryMatch") == 0 || strcasecmp(name, "<Files") == 0 ||
               strcasecmp(name, "<FilesMatch") == 0 || strcasecmp(name, "<Proxy") == 0 ||
               strcasecmp(name, "<ProxyMatch") == 0 || strcasecmp(name, "<If") == 0) {
        section = apr_pcalloc(rd->pool, sizeof(*section));
        section->kind = strcasecmp(name, "<VirtualHost") == 0 ? SECTION_VHOST
                        : strcasecmp(name, "<Location") == 0  ? SECTION_LOCATION
                                                              : SECTION_OTHER;
        section->arg = cors_config_word(rd->pool, &args);
        section->source = source;
        section->policy = cors_policy_make(rd->pool);
        section->parent = section->kind == SECTION_VHOST
                              ? APR_ARRAY_IDX(rd->out->sections, 0, lint_section *)
                              : server_of(rd);
        APR_ARRAY_PUSH(rd->out->sections, lint_section *) = section;
    }
    rd->stack_names[rd->depth] = name;
    rd->stack[rd->depth++] = section;
}

/* A closer must name the section it closes, as httpd checks it: "Expected
 * </Location> but saw </Directory>". */
static int closes(reader *rd, const char *opened, const char *closer, const char *source)
{
    if (strcasecmp(opened + 1, closer + 2) == 0)
        return 1;
    fail(rd, source, apr_psprintf(rd->pool, "Expected </%s> but saw %s>", opened + 1, closer));
    return 0;
}

static void close_section(reader *rd, const char *closer, const char *source)
{
    if (rd->origin_section.opener != NULL ||
        cors_origin_section_is(apr_pstrcat(rd->pool, "<", closer + 2, NULL))) {
        const char *opened = rd->origin_section.opener ? rd->origin_section.source : source;
        const char *error =
            cors_origin_section_close(rd->pool, current(rd)->policy, &rd->origin_section, closer);
        /* A wrong closer is wrong where it stands; a rule that cannot be
         * added is wrong where its section opened. */
        if (error != NULL)
            fail(rd, rd->origin_section.opener ? source : opened, error);
        rd->origin_section.opener = NULL;
        return;
    }
    if (rd->depth == 0) {
        fail(rd, source, "closing a section that was not opened");
        return;
    }
    if (closes(rd, rd->stack_names[rd->depth - 1], closer, source))
        rd->depth--;
}

static void directive(reader *rd, const char *line, const char *source, int depth)
{
    const char *name = cors_config_word(rd->pool, &line), *word, *error;
    apr_array_header_t *args = apr_array_make(rd->pool, 4, sizeof(const char *));

    while ((word = cors_config_word(rd->pool, &line)) != NULL)
        APR_ARRAY_PUSH(args, const char *) = word;
    if (strcasecmp(name, "ServerRoot") == 0 && args->nelts == 1) {
        rd->server_root = APR_ARRAY_IDX(args, 0, const char *);
    } else if ((strcasecmp(name, "Include") == 0 || strcasecmp(name, "IncludeOptional") == 0) &&
               args->nelts == 1) {
        include(rd, APR_ARRAY_IDX(args, 0, const char *), strcasecmp(name, "IncludeOptional") == 0,
                source, depth);
    } else if (cors_directive_find(name) != NULL || rd->origin_section.opener != NULL) {
        error = cors_directive_apply(rd->pool, current(rd)->policy, &rd->origin_section, name,
                                     args->nelts, (const char *const *)args->elts, source);
        if (error != NULL)
            fail(rd, source, error);
    }
}

static void read_file(reader *rd, const char *path, int depth)
{
    char *text, *line, *next;
    apr_file_t *file;
    apr_finfo_t info;
    apr_size_t size;
    int number = 0;

    if (depth > MAX_INCLUDE_DEPTH) {
        fail(rd, path, "Include nested too deeply");
        return;
    }
    if (apr_file_open(&file, path, APR_READ, 0, rd->pool) != APR_SUCCESS ||
        apr_file_info_get(&info, APR_FINFO_SIZE, file) != APR_SUCCESS) {
        fail(rd, path, "cannot read the file");
        return;
    }
    size = (apr_size_t)info.size;
    text = apr_palloc(rd->pool, size + 1);
    if (apr_file_read_full(file, text, size, &size) != APR_SUCCESS && size == 0 && info.size) {
        fail(rd, path, "cannot read the file");
        return;
    }
    text[size] = '\0';
    apr_file_close(file);

    for (line = text; line != NULL && *line; line = next) {
        int first = ++number;
        char *end;
        const char *source;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        /* A backslash at the end of a line continues it (httpd joins with
         * nothing removed but the backslash and the newline). */
        while ((end = line + strlen(line)) > line && end[-1] == '\\' && next != NULL) {
            char *following = next;
            next = strchr(following, '\n');
            if (next != NULL)
                *next++ = '\0';
            end[-1] = '\0';
            line = apr_pstrcat(rd->pool, line, following, NULL);
            number++;
        }
        while (*line == ' ' || *line == '\t')
            line++;
        end = line + strlen(line);
        while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            *--end = '\0';
        if (*line == '\0' || *line == '#')
            continue;
        source = apr_psprintf(rd->pool, "%s:%d", path, first);
        if (line[0] == '<' && line[1] == '/') {
            close_section(rd, apr_pstrmemdup(rd->pool, line, strcspn(line, " \t>")), source);
        } else if (line[0] == '<') {
            char *close = strrchr(line, '>');
            size_t name_len = strcspn(line, " \t>");
            if (close == NULL) {
                fail(rd, source, "section directive missing closing '>'");
                continue;
            }
            *close = '\0';
            open_section(rd, apr_pstrmemdup(rd->pool, line, name_len), line + name_len, source);
        } else {
            directive(rd, line, source, depth);
        }
    }
}

void lint_read_httpd_config(apr_pool_t *pool, const char *path, lint_config *out)
{
    reader rd;
    lint_section *server = apr_pcalloc(pool, sizeof(*server));

    memset(&rd, 0, sizeof(rd));
    rd.pool = pool;
    rd.out = out;
    out->error = NULL;
    out->sections = apr_array_make(pool, 8, sizeof(lint_section *));
    server->kind = SECTION_SERVER;
    server->source = path;
    server->policy = cors_policy_make(pool);
    APR_ARRAY_PUSH(out->sections, lint_section *) = server;
    read_file(&rd, path, 0);
    if (rd.origin_section.opener != NULL)
        fail(&rd, rd.origin_section.source, cors_origin_section_unclosed(pool, &rd.origin_section));
}

const char *lint_policy_from_flag(apr_pool_t *pool, const char *value, const char *source,
                                  lint_config *out)
{
    lint_section *server = apr_pcalloc(pool, sizeof(*server));
    const char *prefix = "--cors-allowed-origins=";
    if (strncmp(value, prefix, strlen(prefix)) == 0)
        value += strlen(prefix);
    server->kind = SECTION_SERVER;
    server->source = source;
    server->policy = cors_policy_make(pool);
    server->policy->mode = CORS_MODE_ENFORCE;
    server->policy->mode_source = source;
    out->error = NULL;
    out->sections = apr_array_make(pool, 1, sizeof(lint_section *));
    APR_ARRAY_PUSH(out->sections, lint_section *) = server;
    if (value[0] == '\0') {
        /* An empty list: kube-apiserver does no CORS at all. */
        server->policy->mode = CORS_MODE_OFF;
        return NULL;
    }
    return cors_policy_add_kube_origins(pool, server->policy, value, source);
}

const cors_policy *lint_policy_for_path(apr_pool_t *pool, const lint_config *config,
                                        const char *path)
{
    const lint_section *server = APR_ARRAY_IDX(config->sections, 0, const lint_section *);
    const cors_policy *policy = server->policy;
    const lint_section *vhost = NULL;

    for (int i = 1; i < config->sections->nelts; i++) {
        const lint_section *s = APR_ARRAY_IDX(config->sections, i, const lint_section *);
        if (s->kind != SECTION_LOCATION || s->arg == NULL ||
            strncmp(path, s->arg, strlen(s->arg)) != 0)
            continue;
        if (s->parent != server && vhost == NULL) {
            /* The first virtual host with a matching <Location> stands for
             * "the" virtual host: its own settings come first. */
            vhost = s->parent;
            policy = cors_policy_merge(pool, policy, vhost->policy);
        }
        if (s->parent == server || s->parent == vhost)
            policy = cors_policy_merge(pool, policy, s->policy);
    }
    return policy;
}

/* ---- Kubernetes YAML ------------------------------------------------------------ */

#define INGRESS_NGINX "nginx.ingress.kubernetes.io/"

typedef struct {
    apr_pool_t *pool;
    const char *path;
    yaml_document_t *doc;
    apr_array_header_t *objects;
} kube_reader;

static const char *scalar(const yaml_node_t *node)
{
    return node != NULL && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value
                                                          : NULL;
}

static const char *where(const kube_reader *kr, const yaml_node_t *node)
{
    return apr_psprintf(kr->pool, "%s:%lu", kr->path, (unsigned long)node->start_mark.line + 1);
}

/* The value of key in a mapping node, or NULL. */
static yaml_node_t *get(const kube_reader *kr, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        const char *name = scalar(yaml_document_get_node(kr->doc, pair->key));
        if (name != NULL && strcmp(name, key) == 0)
            return yaml_document_get_node(kr->doc, pair->value);
    }
    return NULL;
}

static lint_object *new_object(const kube_reader *kr, lint_object_kind kind, const char *name,
                               const char *source)
{
    lint_object *o = apr_array_push(kr->objects);
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->name = name;
    o->source = source;
    return o;
}

/* --cors-allowed-origins in the command or args of any container:
 * "--flag=value", or "--flag" then "value". */
static void find_flag(const kube_reader *kr, yaml_node_t *node, int in_command, const char *name)
{
    const char *flag = "--cors-allowed-origins";
    if (node == NULL)
        return;
    if (node->type == YAML_SEQUENCE_NODE) {
        int take_next = 0;
        for (yaml_node_item_t *item = node->data.sequence.items.start;
             item < node->data.sequence.items.top; item++) {
            yaml_node_t *child = yaml_document_get_node(kr->doc, *item);
            const char *text = in_command ? scalar(child) : NULL;
            if (text == NULL) {
                find_flag(kr, child, 0, name);
            } else if (take_next) {
                new_object(kr, LINT_OBJECT_APISERVER, name, where(kr, child))->flag = text;
                take_next = 0;
            } else if (strncmp(text, flag, strlen(flag)) == 0 && text[strlen(flag)] == '=') {
                new_object(kr, LINT_OBJECT_APISERVER, name, where(kr, child))->flag =
                    text + strlen(flag) + 1;
            } else {
                take_next = strcmp(text, flag) == 0;
            }
        }
    } else if (node->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
             pair < node->data.mapping.pairs.top; pair++) {
            const char *key = scalar(yaml_document_get_node(kr->doc, pair->key));
            int command = key != NULL && (strcmp(key, "command") == 0 || strcmp(key, "args") == 0);
            find_flag(kr, yaml_document_get_node(kr->doc, pair->value), command, name);
        }
    }
}

static void read_ingress(const kube_reader *kr, yaml_node_t *object, const char *name)
{
    yaml_node_t *annotations = get(kr, get(kr, object, "metadata"), "annotations");
    yaml_node_t *enable = get(kr, annotations, INGRESS_NGINX "enable-cors");
    yaml_node_t *origin = get(kr, annotations, INGRESS_NGINX "cors-allow-origin");
    yaml_node_t *credentials = get(kr, annotations, INGRESS_NGINX "cors-allow-credentials");
    lint_object *o;
    if (enable == NULL && origin == NULL)
        return;
    o = new_object(kr, LINT_OBJECT_INGRESS, name, where(kr, origin ? origin : enable));
    o->enable_cors = scalar(enable);
    o->allow_origin = scalar(origin);
    o->allow_credentials = scalar(credentials);
}

/* Every CORS filter of an HTTPRoute (in rules[].filters and in
 * rules[].backendRefs[].filters). */
static void find_cors_filters(const kube_reader *kr, yaml_node_t *node, const char *name)
{
    if (node == NULL)
        return;
    if (node->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *item = node->data.sequence.items.start;
             item < node->data.sequence.items.top; item++)
            find_cors_filters(kr, yaml_document_get_node(kr->doc, *item), name);
    } else if (node->type == YAML_MAPPING_NODE) {
        const char *type = scalar(get(kr, node, "type"));
        yaml_node_t *cors = get(kr, node, "cors");
        yaml_node_t *origins = get(kr, cors, "allowOrigins");
        if (type != NULL && strcmp(type, "CORS") == 0 && cors != NULL) {
            lint_object *o = new_object(kr, LINT_OBJECT_HTTPROUTE, name, where(kr, cors));
            const char *credentials = scalar(get(kr, cors, "allowCredentials"));
            o->credentials = credentials != NULL && strcmp(credentials, "true") == 0;
            o->origins = apr_array_make(kr->pool, 4, sizeof(const char *));
            o->origin_sources = apr_array_make(kr->pool, 4, sizeof(const char *));
            for (yaml_node_item_t *item = origins && origins->type == YAML_SEQUENCE_NODE
                                              ? origins->data.sequence.items.start
                                              : NULL;
                 item != NULL && item < origins->data.sequence.items.top; item++) {
                yaml_node_t *entry = yaml_document_get_node(kr->doc, *item);
                if (scalar(entry) == NULL)
                    continue;
                APR_ARRAY_PUSH(o->origins, const char *) = scalar(entry);
                APR_ARRAY_PUSH(o->origin_sources, const char *) = where(kr, entry);
            }
            return;
        }
        for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
             pair < node->data.mapping.pairs.top; pair++)
            find_cors_filters(kr, yaml_document_get_node(kr->doc, pair->value), name);
    }
}

static void read_object(const kube_reader *kr, yaml_node_t *object)
{
    const char *kind = scalar(get(kr, object, "kind"));
    yaml_node_t *metadata = get(kr, object, "metadata");
    const char *ns = scalar(get(kr, metadata, "namespace")), *name;
    yaml_node_t *items = get(kr, object, "items");

    if (items != NULL && items->type == YAML_SEQUENCE_NODE) {
        /* A List (kubectl get -o yaml) */
        for (yaml_node_item_t *item = items->data.sequence.items.start;
             item < items->data.sequence.items.top; item++)
            read_object(kr, yaml_document_get_node(kr->doc, *item));
        return;
    }
    name = apr_psprintf(kr->pool, "%s %s%s%s", kind ? kind : "object", ns ? ns : "", ns ? "/" : "",
                        scalar(get(kr, metadata, "name")) ? scalar(get(kr, metadata, "name"))
                                                          : "(unnamed)");
    if (kind != NULL && strcmp(kind, "Ingress") == 0)
        read_ingress(kr, object, name);
    else if (kind != NULL && strcmp(kind, "HTTPRoute") == 0)
        find_cors_filters(kr, get(kr, object, "spec"), name);
    else
        find_flag(kr, object, 0, name);
}

const char *lint_read_kube(apr_pool_t *pool, const char *path, apr_array_header_t *objects)
{
    FILE *file = fopen(path, "rb");
    yaml_parser_t parser;
    const char *error = NULL;

    if (file == NULL)
        return apr_psprintf(pool, "%s: cannot read the file", path);
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, file);
    for (;;) {
        yaml_document_t doc;
        yaml_node_t *root;
        kube_reader kr = {pool, path, &doc, objects};
        if (!yaml_parser_load(&parser, &doc)) {
            error = apr_psprintf(pool, "%s:%lu: not valid YAML: %s", path,
                                 (unsigned long)parser.problem_mark.line + 1,
                                 parser.problem ? parser.problem : "parse error");
            break;
        }
        root = yaml_document_get_root_node(&doc);
        if (root == NULL) {
            yaml_document_delete(&doc);
            break; /* end of the stream */
        }
        /* The strings found are copied before the document goes. */
        {
            int first = objects->nelts;
            read_object(&kr, root);
            for (int i = first; i < objects->nelts; i++) {
                lint_object *o = &APR_ARRAY_IDX(objects, i, lint_object);
                o->flag = o->flag ? apr_pstrdup(pool, o->flag) : NULL;
                o->enable_cors = o->enable_cors ? apr_pstrdup(pool, o->enable_cors) : NULL;
                o->allow_origin = o->allow_origin ? apr_pstrdup(pool, o->allow_origin) : NULL;
                o->allow_credentials =
                    o->allow_credentials ? apr_pstrdup(pool, o->allow_credentials) : NULL;
                for (int k = 0; o->origins && k < o->origins->nelts; k++)
                    APR_ARRAY_IDX(o->origins, k, const char *) =
                        apr_pstrdup(pool, APR_ARRAY_IDX(o->origins, k, const char *));
            }
        }
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    fclose(file);
    return error;
}

lint_file_kind lint_detect(const char *path)
{
    static const char *const kube_starts[] = {"apiVersion:", "kind:",     "---",
                                              "items:",      "metadata:", "{"};
    const char *dot = strrchr(path, '.');
    char line[256];
    FILE *file;
    struct stat info;
    lint_file_kind kind = LINT_FILE_HTTPD;

    if (dot != NULL &&
        (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0))
        return LINT_FILE_KUBE;
    if (dot != NULL && (strcmp(dot, ".conf") == 0 || strcmp(dot, ".load") == 0))
        return LINT_FILE_HTTPD;
    if (stat(path, &info) == 0 && !S_ISREG(info.st_mode))
        return LINT_FILE_KUBE; /* a pipe: reading a line to look would lose it */
    file = fopen(path, "rb");
    if (file == NULL)
        return LINT_FILE_HTTPD; /* the reader says it cannot read it */
    while (fgets(line, sizeof(line), file) != NULL) {
        const char *p = line + strspn(line, " \t\r\n");
        if (*p == '\0' || *p == '#')
            continue;
        for (size_t k = 0; k < sizeof(kube_starts) / sizeof(kube_starts[0]); k++)
            if (strncmp(p, kube_starts[k], strlen(kube_starts[k])) == 0)
                kind = LINT_FILE_KUBE;
        break;
    }
    fclose(file);
    return kind;
}
