{#
    Materialization `identity_components`: the connected components of the identity graph,
    added tier by tier, with the guards against over-merging.

    The model's SQL selects links (the columns of int_identity__links): source_node/target_node
    with their type, priority and `limited` flag, and the link's `tier`. For each tier, strongest
    first:
      1. a bridge whose links touch sets holding different values of a limited type stronger
         than the tier (two CRM ids, two user ids...) is not used: it is ambiguous, like a
         household landline or a shared tablet;
      2. the remaining links join sets, by large-star/small-star rounds (Kiveris et al., 2014),
         whose number grows with the logarithm of the component size, not its diameter;
      3. a joined set that still holds conflicting values, or that outgrows
         `max_component_size` nodes, is not joined at this tier: its links are reported.
    At the tiers listed in `tiers_not_joining_profiles` (phones, cookies, devices), steps 1 and
    3 also refuse to join two known profiles: sets that each hold any limited identifier.
    At the tiers listed in `merging_tiers` (strong probabilistic matches between two records
    whose hubs are one-per-person ids), steps 1 and 3 do not refuse different values of a
    limited type: the match is the evidence that they are one person's. From then on the values
    one set holds count as one (`conflict_key`), so later tiers may still join that set. Types
    matched by the SQL condition `types_not_merging` on `node_type` (login accounts) are the
    exception: two of them still conflict there.

    Every statement is plain SQL that DuckDB and Spark both run; the loop runs in Jinja. The
    result has one row per linked node: its component (the smallest node id in it) and, for a
    node whose links were refused, the tier and the reason. A refusal refuses those links only:
    the node stays in the set it had, so every node has a component. `is_shared_identifier`
    marks a node of a type a person may share (a phone, a cookie, a device, not an account id)
    refused as an ambiguous bridge at a tier of shared identifiers: it is known to be several
    people's, so the records it is the strongest identifier of stay with it, in a customer of
    their own, rather than with any of those people (int_identity__record_customers). A refused
    probabilistic match marks nothing: it is evidence about two records, not an identifier.
    Each run appends its per-tier figures (links, refusals, rounds) to
    `<schema>.<model>__rounds`.

    Config: max_component_size (default 5000 nodes), max_rounds (per tier, default 60),
    tiers_not_joining_profiles, merging_tiers and probabilistic_tiers (lists of tiers).
#}

{% materialization identity_components, default %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set max_size = config.get('max_component_size', 5000) | int -%}
    {%- set max_rounds = config.get('max_rounds', 60) | int -%}
    {%- set not_joining = config.get('tiers_not_joining_profiles', []) -%}
    {%- set merging = config.get('merging_tiers', []) -%}
    {%- set probabilistic = config.get('probabilistic_tiers', []) -%}
    {%- set not_merging = config.get('types_not_merging', '1 = 0') -%}
    {%- set run_id = modules.datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%S') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- set links = connect360.identity_work_relation('links') -%}
    {%- set labels = connect360.identity_work_relation('labels') -%}
    {% do connect360.identity_create(links, sql) %}
    {% do connect360.identity_create(labels, connect360.identity_initial_labels_sql(links)) %}

    {%- set tiers = connect360.identity_scalar_list("select distinct tier from " ~ links ~ " order by tier") -%}
    {%- set figures = [] -%}
    {%- for tier in tiers -%}
        {%- do figures.append(connect360.identity_add_tier(
            links, labels, tier | int, max_size, max_rounds, (tier | int) in not_joining,
            (tier | int) in merging, not_merging
        )) -%}
    {%- endfor -%}

    {#- Each tier wrote its refusals to a table of its own (see identity_add_tier). -#}
    {%- set refusals = [] -%}
    {%- for figure in figures -%}
        {%- do refusals.append("select node_id, tier, reason from " ~ figure['refused_relation']) -%}
    {%- endfor -%}
    {%- if not refusals -%}
        {%- do refusals.append(
            "select cast(null as bigint) as node_id, cast(null as int) as tier, cast(null as "
            ~ dbt.type_string() ~ ") as reason where 1 = 0"
        ) -%}
    {%- endif -%}
    {%- set final_sql -%}
        select
            labels.node_id,
            labels.node_type as identifier_type,
            labels.node_priority as identifier_priority,
            labels.label as component_id,
            rejected.tier as bridge_refused_at_tier,
            rejected.reason as bridge_refusal,
            coalesce(rejected.is_shared, false) and labels.node_limited = 0
                as is_shared_identifier
        from {{ labels }} as labels
        left join (
            select node_id, min(tier) as tier, min(reason) as reason,
                max(case when reason = '{{ connect360.identity_ambiguous_bridge_reason() }}'
                    {%- for tier in probabilistic %} and tier <> {{ tier }}{% endfor %}
                    then 1 else 0 end) = 1 as is_shared
            from ({{ refusals | join(' union all ') }}) as refusals
            group by node_id
        ) as rejected on labels.node_id = rejected.node_id
    {%- endset -%}

    {%- set intermediate = connect360.identity_work_relation('result') -%}
    {% do adapter.drop_relation(intermediate) %}
    {% call statement('main') -%}
        {{ get_create_table_as_sql(False, intermediate, final_sql) }}
    {%- endcall %}
    {% if existing_relation is not none %}
        {% do adapter.drop_relation(existing_relation) %}
    {% endif %}
    {% do adapter.rename_relation(intermediate, target_relation) %}

    {%- set rounds_relation = connect360.identity_work_relation('rounds') -%}
    {%- set rounds_rows = [] -%}
    {%- for figure in figures -%}
        {%- do rounds_rows.append(
            "select '" ~ run_id ~ "' as run_at, " ~ figure['tier'] ~ " as tier, "
            ~ figure['links'] ~ " as links, " ~ figure['refused_bridges'] ~ " as refused_bridges, "
            ~ figure['refused_groups'] ~ " as refused_groups, " ~ figure['rounds'] ~ " as rounds"
        ) -%}
    {%- endfor -%}
    {% if rounds_rows %}
        {% do connect360.identity_append(rounds_relation, rounds_rows | join(' union all ')) %}
    {% endif %}
    {% for name in ['links', 'labels'] %}
        {% do adapter.drop_relation(connect360.identity_work_relation(name)) %}
    {% endfor %}
    {% for figure in figures %}
        {% do adapter.drop_relation(figure['refused_relation']) %}
    {% endfor %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- The refusal of a bridge that links several people's identifiers: a shared identifier. -#}
{% macro identity_ambiguous_bridge_reason() -%}
    ambiguous bridge: its links reach different values of a stronger identifier type
{%- endmacro %}


{#- A working table beside the model: <model>__<name>. -#}
{% macro identity_work_relation(name) -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema,
        identifier=this.identifier ~ '__' ~ name, type='table'
    )) }}
{%- endmacro %}

{% macro identity_create(relation, select_sql) -%}
    {% do adapter.drop_relation(relation) %}
    {% call statement('identity_create') -%}
        {{ get_create_table_as_sql(False, relation, select_sql) }}
    {%- endcall %}
{%- endmacro %}

{% macro identity_append(relation, select_sql) -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {% if existing is none %}
        {% call statement('identity_append') -%}
            {{ get_create_table_as_sql(False, relation, select_sql) }}
        {%- endcall %}
    {% else %}
        {% call statement('identity_append') -%}
            insert into {{ relation }} {{ select_sql }}
        {%- endcall %}
    {% endif %}
{%- endmacro %}

{% macro identity_scalar_list(query) -%}
    {%- set result = run_query(query) -%}
    {{ return(result.columns[0].values() | list) }}
{%- endmacro %}

{% macro identity_scalar(query) -%}
    {%- set values = connect360.identity_scalar_list(query) -%}
    {{ return(values[0] if values and values[0] is not none else 0) }}
{%- endmacro %}

{#- Every node of a link, in a set of its own; its value is its own conflict key. -#}
{% macro identity_initial_labels_sql(links) -%}
    select node_id, max(node_type) as node_type, min(node_priority) as node_priority,
        max(node_limited) as node_limited, node_id as label, node_id as conflict_key
    from (
        select source_node as node_id, source_type as node_type, source_priority as node_priority,
            case when source_limited then 1 else 0 end as node_limited
        from {{ links }}
        union all
        select target_node, target_type, target_priority,
            case when target_limited then 1 else 0 end
        from {{ links }}
    ) as nodes
    group by node_id
{%- endmacro %}


{#- One tier: refuse ambiguous bridges, join sets, undo joins that conflict or grow too big. -#}
{#-
    Refusals are written by create-table-as, never by inserts into one table: DuckDB planned a
    later join from the statistics of an all-NULL table created at the start and lost rows
    inserted in the same transaction (seen at 1,000,000 people).
-#}
{% macro identity_add_tier(
    links, labels, tier, max_size, max_rounds, keep_profiles_apart, merges_limited,
    not_merging='1 = 0'
) -%}
    {%- set edges = connect360.identity_work_relation('tier_edges') -%}
    {%- set stronger = connect360.identity_work_relation('tier_limited') -%}
    {%- set refused = connect360.identity_work_relation('tier_refused') -%}
    {%- set pairs = connect360.identity_work_relation('tier_pairs') -%}
    {%- set joined = connect360.identity_work_relation('tier_joined') -%}
    {%- set kept = connect360.identity_work_relation('tier_kept') -%}
    {%- set relabelled = connect360.identity_work_relation('labels_next') -%}

    {% do connect360.identity_create(edges, "
        select links.target_node as bridge, hub.label as hub_label, bridge.label as bridge_label
        from " ~ links ~ " as links
        inner join " ~ labels ~ " as hub on links.source_node = hub.node_id
        inner join " ~ labels ~ " as bridge on links.target_node = bridge.node_id
        where links.tier = " ~ tier) %}
    {%- set link_count = connect360.identity_scalar("select count(*) from " ~ edges) -%}

    {#- The values of limited types stronger than this tier, per set, by conflict key (values a
        merging tier joined count as one); at a tier that keeps known profiles apart, any limited
        value, all counted as one kind ('profile'). At a merging tier, only the types a match
        never merges: the tier may join different values of the others. -#}
    {% do connect360.identity_create(stronger, "
        select label, node_type, conflict_key as node_id from " ~ labels ~ "
        where node_limited = 1 and node_priority < " ~ tier
        ~ (" and " ~ not_merging if merges_limited else "")
        ~ (" union all select distinct label, 'profile', label from " ~ labels ~ " where node_limited = 1" if keep_profiles_apart else "")) %}

    {#- 1. A bridge touching sets with different values of one stronger limited type. -#}
    {% do connect360.identity_create(refused, "
        select distinct touched.bridge as node_id
        from (
            select bridge, hub_label as label from " ~ edges ~ "
            union
            select bridge, bridge_label from " ~ edges ~ "
        ) as touched
        inner join " ~ stronger ~ " as stronger on touched.label = stronger.label
        group by touched.bridge, stronger.node_type
        having count(distinct stronger.node_id) > 1") %}
    {%- set refused_bridges = connect360.identity_scalar("select count(*) from " ~ refused) -%}

    {#- 2. Join the sets the remaining links connect. -#}
    {% do connect360.identity_create(pairs, "
        select distinct edges.hub_label as a, edges.bridge_label as b
        from " ~ edges ~ " as edges
        left join " ~ refused ~ " as refused on edges.bridge = refused.node_id
        where refused.node_id is null and edges.hub_label <> edges.bridge_label") %}
    {%- set rounds = connect360.identity_connected_components(pairs, joined, max_rounds) -%}

    {#- 3. Undo joins that hold conflicting stronger values or grow past the size limit. -#}
    {% do connect360.identity_create(kept, "
        with conflicting as (
            select joined.root
            from " ~ joined ~ " as joined
            inner join " ~ stronger ~ " as stronger on joined.label = stronger.label
            group by joined.root, stronger.node_type
            having count(distinct stronger.node_id) > 1
        ),
        sizes as (
            select joined.root, count(*) as nodes
            from " ~ joined ~ " as joined
            inner join " ~ labels ~ " as labels on joined.label = labels.label
            group by joined.root
        ),
        undone as (
            select root, 'conflicting set: the joined set would hold different values of a stronger identifier type' as reason
            from conflicting
            union all
            select root, 'oversized component: more than " ~ max_size ~ " identifiers'
            from sizes where nodes > " ~ max_size ~ "
        )
        select joined.label, joined.root, undone.reason
        from " ~ joined ~ " as joined
        left join (select root, min(reason) as reason from undone group by root) as undone
            on joined.root = undone.root") %}
    {%- set refused_groups = connect360.identity_scalar(
        "select count(distinct root) from " ~ kept ~ " where reason is not null") -%}
    {%- set tier_refusals = connect360.identity_work_relation('refused_at_tier_' ~ tier) -%}
    {% do connect360.identity_create(tier_refusals, "
        select node_id, " ~ tier ~ " as tier,
            '" ~ connect360.identity_ambiguous_bridge_reason() ~ "' as reason
        from " ~ refused ~ "
        union all
        select distinct edges.bridge, " ~ tier ~ ", kept.reason
        from " ~ edges ~ " as edges
        inner join " ~ kept ~ " as kept on edges.hub_label = kept.label
        where kept.reason is not null") %}

    {#- After a merging tier, the limited values of one set share its label as conflict key. -#}
    {% do connect360.identity_create(relabelled, "
        select labels.node_id, labels.node_type, labels.node_priority, labels.node_limited,
            coalesce(kept.root, labels.label) as label, "
            ~ ("case when labels.node_limited = 1 and not " ~ not_merging ~ "
                then coalesce(kept.root, labels.label) else labels.conflict_key end"
                if merges_limited else "labels.conflict_key") ~ "
                as conflict_key
        from " ~ labels ~ " as labels
        left join " ~ kept ~ " as kept on labels.label = kept.label and kept.reason is null") %}
    {% do adapter.drop_relation(labels) %}
    {% do adapter.rename_relation(relabelled, labels) %}
    {% for relation in [edges, stronger, refused, pairs, joined, kept] %}
        {% do adapter.drop_relation(relation) %}
    {% endfor %}
    {{ return({'tier': tier, 'links': link_count, 'refused_bridges': refused_bridges,
               'refused_groups': refused_groups, 'rounds': rounds,
               'refused_relation': tier_refusals}) }}
{%- endmacro %}


{#-
    Connected components of the undirected pairs (a, b) by alternating large-star and small-star
    rounds until the graph is a forest of stars around each component's smallest node.
    Writes `result` (label, root) for every node of a pair; returns the number of rounds.
-#}
{% macro identity_connected_components(pairs, result, max_rounds) -%}
    {%- set graph = connect360.identity_work_relation('cc_graph') -%}
    {%- set step = connect360.identity_work_relation('cc_step') -%}
    {% do connect360.identity_create(graph, "
        select a as u, b as v from " ~ pairs ~ "
        union
        select b, a from " ~ pairs) %}
    {%- set state = {'rounds': 0, 'done': false} -%}
    {%- for _ in range(max_rounds) -%}{%- if not state['done'] -%}
        {#- Large star: every larger neighbour of u moves to the smallest node around u. -#}
        {% do connect360.identity_create(step, "
            with smallest as (
                select u, least(u, min(v)) as m from " ~ graph ~ " group by u
            ),
            moved as (
                select graph.v as u, smallest.m as v
                from " ~ graph ~ " as graph
                inner join smallest on graph.u = smallest.u
                where graph.v > graph.u
            )
            select u, v from moved union select v, u from moved") %}
        {#- Small star: u and its smaller neighbours all move to the smallest of them. -#}
        {% do connect360.identity_create(graph, "
            with smaller as (
                select u, v from " ~ step ~ " where v < u
            ),
            smallest as (
                select u, min(v) as m from smaller group by u
            ),
            moved as (
                select smaller.v as u, smallest.m as v
                from smaller inner join smallest on smaller.u = smallest.u
                where smaller.v <> smallest.m
                union
                select u, m from smallest
            )
            select u, v from moved union select v, u from moved") %}
        {%- do state.update({'rounds': state['rounds'] + 1}) -%}
        {#- Done when every node has at most one smaller neighbour, and that one has none. -#}
        {%- set unsettled = connect360.identity_scalar("
            with smaller as (select u, v from " ~ graph ~ " where v < u)
            select count(*) from (
                select u from smaller group by u having count(*) > 1
                union all
                select smaller.u from smaller inner join smaller as below on smaller.v = below.u
            ) as unsettled") -%}
        {%- if unsettled | int == 0 -%}
            {%- do state.update({'done': true}) -%}
        {%- endif -%}
    {%- endif -%}{%- endfor -%}
    {%- if not state['done'] -%}
        {{ exceptions.raise_compiler_error(
            "identity graph: components did not settle in " ~ max_rounds ~ " rounds") }}
    {%- endif -%}
    {% do connect360.identity_create(result, "
        select u as label, least(u, min(v)) as root from " ~ graph ~ " group by u") %}
    {% do adapter.drop_relation(graph) %}
    {% do adapter.drop_relation(step) %}
    {{ return(state['rounds']) }}
{%- endmacro %}
