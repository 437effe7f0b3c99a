{#-
    The customer on a call: the caller-ID name (CNAM: "SMITH JANE", last name first, at most 15
    characters, so a long first name may be cut) on inbound calls, and the customer's number,
    the caller on inbound calls and the called party otherwise, as stg_voice__calls keys it.
-#}
{%- set phone_region = "'" ~ var('default_phone_region') ~ "'" -%}

with

source as (
    select * from {{ source('voice', 'calls') }}
),

renamed as (
    select
        record_key,
        lower({{ json_text('payload', '$.direction') }}) as direction,
        {{ json_text('payload', '$.caller_name') }} as caller_name,
        {{ json_text('payload', '$.from') }} as from_phone,
        {{ json_text('payload', '$.to') }} as to_phone,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

customer_side as (
    select
        record_key,
        occurred_at,
        case when direction = 'inbound' then caller_name end as caller_name,
        case when direction = 'inbound' then from_phone else to_phone end as phone
    from deduplicated
),

final as (
    select
        concat('voice__calls:', record_key) as record_id,
        'voice__calls' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        {{ normalize_name(full_name_part('caller_name', 'other_words')) }} as first_name,
        {{ normalize_name(full_name_part('caller_name', 'first_word')) }} as last_name,
        cast(null as date) as date_of_birth,
        cast(null as string) as address_line,
        cast(null as string) as postal_code,
        cast(null as string) as city,
        cast(null as string) as country_code,
        cast(null as string) as email,
        {{ normalize_phone('phone', phone_region) }} as phone,
        cast(null as string) as secondary_phone
    from customer_side
)

select * from final
