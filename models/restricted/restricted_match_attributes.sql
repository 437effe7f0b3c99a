{#-
    Every source record that carries personal attributes, cleaned for matching, one row each:
    the input of probabilistic matching (the Dagster asset identity/probabilistic_edges).
    Emails and phones also as their pseudonymous keys, equal to the staging models' keys, so what
    leaves this schema needs no clear value.
-#}
{%- set record_sources = [
    ref('stg_restricted__chat_conversations'),
    ref('stg_restricted__crm_contacts'),
    ref('stg_restricted__mobile_app_events'),
    ref('stg_restricted__orders_orders'),
    ref('stg_restricted__pos_receipts'),
    ref('stg_restricted__social_mentions'),
    ref('stg_restricted__surveys_responses'),
    ref('stg_restricted__tickets_tickets'),
    ref('stg_restricted__voice_calls'),
    ref('stg_restricted__web_events'),
] -%}

with

unioned as (
    {%- for relation in record_sources %}
    select
        record_id,
        source,
        occurred_at,
        first_name,
        last_name,
        date_of_birth,
        address_line,
        postal_code,
        city,
        country_code,
        email,
        phone
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

with_attributes as (
    select * from unioned
    where
        coalesce(
            first_name, last_name, cast(date_of_birth as string), address_line, postal_code,
            email, phone
        ) is not null
),

final as (
    select
        record_id,
        source,
        occurred_at,
        first_name,
        last_name,
        date_of_birth,
        address_line,
        postal_code,
        city,
        country_code,
        email,
        phone,
        {{ pseudonymize('email', 'email') }} as email_key,
        {{ pseudonymize('phone', 'phone') }} as phone_key
    from with_attributes
)

select * from final
