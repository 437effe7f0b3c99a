{#- Phone numbers without a country code are read in the contact's own country. -#}
{%- set phone_region = "coalesce(country_code, '" ~ var('default_phone_region') ~ "')" -%}

with

source as (
    select * from {{ source('crm', 'contacts') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.first_name') }} as first_name,
        {{ json_text('payload', '$.last_name') }} as last_name,
        {{ json_text('payload', '$.date_of_birth') }} as date_of_birth,
        {{ json_text('payload', '$.address_line1') }} as address_line,
        {{ json_text('payload', '$.postal_code') }} as postal_code,
        {{ json_text('payload', '$.city') }} as city,
        nullif(upper(trim({{ json_text('payload', '$.country_code') }})), '') as country_code,
        {{ json_text('payload', '$.email') }} as email,
        -- The mobile is the contact's own; the landline in `phone` is often the household's.
        coalesce(
            nullif(trim({{ json_text('payload', '$.mobile_phone') }}), ''),
            {{ json_text('payload', '$.phone') }}
        ) as phone,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

final as (
    select
        concat('crm__contacts:', record_key) as record_id,
        'crm__contacts' as source,
        record_key,
        occurred_at,
        {{ normalize_name('first_name') }} as first_name,
        {{ normalize_name('last_name') }} as last_name,
        try_cast(nullif(trim(date_of_birth), '') as date) as date_of_birth,
        {{ normalize_address('address_line') }} as address_line,
        {{ normalize_postal_code('postal_code') }} as postal_code,
        {{ normalize_name('city') }} as city,
        country_code,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone', phone_region) }} as phone
    from deduplicated
)

select * from final
