{#
    Whether a user agent is automated traffic: crawlers, monitors, HTTP libraries and headless
    browsers. The pattern (a regular expression matched anywhere in the lower-cased agent, no
    backslashes so Spark reads it the same) is the var `bot_user_agent_pattern`; extend it when
    a site sees other robots. An event without a user agent is not counted as a bot.
#}

{% macro bot_user_agent_pattern() -%}
    {{ return(var(
        'bot_user_agent_pattern',
        'bot|crawl|spider|slurp|scrapy|headless|phantomjs|python-requests|python-urllib'
        ~ '|curl/|wget/|httpclient|okhttp|go-http-client|java/|libwww|monitor|pingdom'
        ~ '|lighthouse|facebookexternalhit'
    )) }}
{%- endmacro %}

{% macro is_bot_user_agent(expression) -%}
    {{ return(adapter.dispatch('is_bot_user_agent', 'connect360')(expression)) }}
{%- endmacro %}

{% macro default__is_bot_user_agent(expression) -%}
    coalesce(lower({{ expression }}) rlike '{{ connect360.bot_user_agent_pattern() }}', false)
{%- endmacro %}

{% macro duckdb__is_bot_user_agent(expression) -%}
    coalesce(regexp_matches(lower({{ expression }}), '{{ connect360.bot_user_agent_pattern() }}'), false)
{%- endmacro %}
