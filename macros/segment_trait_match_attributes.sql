{#
    The restricted matching attributes of a Segment source (web or mobile app): the traits of
    identify calls (or any call with traits), name, email and phone, cleaned for matching.
    Phones without a country code are read in the country of the locale, as staging does.
    Only calls with traits are read: the others carry nothing personal and are nearly all of
    the stream. Used by stg_restricted__web_events and stg_restricted__mobile_app_events.
#}
{% macro segment_trait_match_attributes(channel) -%}
{%- set phone_region = "coalesce(nullif(upper(split_part(locale_code, '-', 2)), ''), '"
    ~ var('default_phone_region') ~ "')" -%}

with

source as (
    select * from {{ source(channel, 'events') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.traits.first_name') }} as first_name,
        {{ json_text('payload', '$.traits.last_name') }} as last_name,
        {{ json_text('payload', '$.traits.email') }} as email,
        {{ json_text('payload', '$.traits.phone') }} as phone,
        {{ json_text('payload', '$.context.locale') }} as locale_code,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
    where {{ json_text('payload', '$.traits') }} is not null
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

final as (
    select
        concat('{{ channel }}__events:', record_key) as record_id,
        '{{ channel }}__events' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        {{ normalize_name('first_name') }} as first_name,
        {{ normalize_name('last_name') }} as last_name,
        cast(null as date) as date_of_birth,
        cast(null as string) as address_line,
        cast(null as string) as postal_code,
        cast(null as string) as city,
        cast(null as string) as country_code,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone', phone_region) }} as phone,
        cast(null as string) as secondary_phone
    from deduplicated
)

select * from final
{%- endmacro %}
