{#-
    The consent rules of the var `consent_rules` per marketing channel, as rows to join:
    channel, consent_purpose, frequency_cap, cap_window_days, has_quiet_hours.
-#}
{% macro consent_channel_rules() -%}
    {%- set rules = var('consent_rules') -%}
    {%- set rows = [] -%}
    {%- for channel, purpose in rules['purposes'].items() -%}
        {%- set cap = rules['frequency_caps'][channel] -%}
        {%- do rows.append(
            "select '" ~ channel ~ "' as channel, '" ~ purpose ~ "' as consent_purpose, "
            ~ cap['max_sends'] ~ " as frequency_cap, " ~ cap['window_days'] ~ " as cap_window_days, "
            ~ (channel in rules['quiet_hours']['channels']) ~ " as has_quiet_hours"
        ) -%}
    {%- endfor -%}
    {{ return(rows | join('\nunion all\n')) }}
{%- endmacro %}
