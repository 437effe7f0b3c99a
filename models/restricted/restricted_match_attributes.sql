{#-
    Every source record that carries personal attributes, cleaned for matching, one row each:
    the input of probabilistic matching (the Dagster asset identity/probabilistic_edges).
    Emails and phones also as their pseudonymous keys, equal to the staging models' keys, so what
    leaves this schema needs no clear value. Every stg_restricted__ model has the same columns in
    the same order (one column list in _restricted__models.yml), so they union as they are.
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
        select * from {{ relation }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

without_junk as (
    -- Placeholder emails and junk numbers (the identity blocklist) are no one's: absent here too.
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
        {{ unless_blocked('email', 'email') }} as email,
        {{ unless_blocked('phone', 'phone') }} as phone,
        {{ unless_blocked('secondary_phone', 'phone') }} as secondary_phone
    from unioned
),

with_attributes as (
    select * from without_junk
    where
        coalesce(
            first_name, last_name, cast(date_of_birth as string), address_line, postal_code,
            email, phone, secondary_phone
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
        secondary_phone,
        {{ pseudonymize('email', 'email') }} as email_key,
        {{ pseudonymize('phone', 'phone') }} as phone_key,
        {{ pseudonymize('secondary_phone', 'phone') }} as secondary_phone_key
    from with_attributes
)

select * from final
