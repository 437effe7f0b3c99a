{#
    The settings of the attribution marts (attribution_paths, attribution_touchpoints,
    attribution_transitions, attribution_channels), each a dbt var that a project or a run can
    override (`dbt build --vars '{attribution_lookback_days: 14}'`); the defaults are here.

    attribution_lookback_days           how long before a conversion a touch can be credited
                                        to it; also the longest span of a path that did not
                                        convert
    attribution_half_life_days          time decay: a touch this long before the conversion
                                        weighs half as much as one at the conversion
    attribution_position_endpoint_share position-based: the share of the first touch and,
                                        again, of the last touch when a path has three or
                                        more; the touches between share the rest equally
    attribution_markov_steps            Markov chain: the transition steps walked from the
                                        start state (see attribution_channels); the mass not
                                        yet absorbed after them is reported, and tested. On
                                        Spark at most 78 (its analyzer's limit on nested CTEs)
    attribution_markov_tolerance        the largest unabsorbed mass the test accepts

    The mapping of touches to attribution channels is data, not a setting: the seed
    `attribution_channel_map`.
#}

{% macro default_attribution_settings() -%}
    {{ return({
        'attribution_lookback_days': 30,
        'attribution_half_life_days': 7,
        'attribution_position_endpoint_share': 0.4,
        'attribution_markov_steps': 64,
        'attribution_markov_tolerance': 0.000001,
    }) }}
{%- endmacro %}

{#- One setting: the var when it is set, else its default above. -#}
{% macro attribution_setting(name) -%}
    {{ return(var(name, connect360.default_attribution_settings()[name])) }}
{%- endmacro %}
